"""Public opt-out URLs (no account), the SMS gateway's inbound endpoint and the rejection line's call webhook;
mounted at the site root."""
from django.urls import path

from . import views

app_name = "optout"

urlpatterns = [
    path("ret/<int:brand_code>/", views.optout_start, name="brand"),
    path("ret/<int:brand_code>/kod/", views.optout_code, name="code"),
    path("ret/<int:brand_code>/kanal/", views.optout_channels, name="channels"),
    path("ret/<int:brand_code>/tamam/", views.optout_done, name="done"),
    path("ret/b/<str:token>/", views.signed_link, name="link"),
    path("sms/inbound/", views.sms_inbound, name="sms_inbound"),
    path("arama/inbound/", views.call_inbound, name="call_inbound"),
]
