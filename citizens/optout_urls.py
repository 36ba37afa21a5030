"""Public opt-out URLs (no account) and the SMS gateway's inbound endpoint; mounted at the site root."""
from django.urls import path

from . import optout_views

app_name = "optout"

urlpatterns = [
    path("ret/<int:brand_code>/", optout_views.optout_start, name="brand"),
    path("ret/<int:brand_code>/kod/", optout_views.optout_code, name="code"),
    path("ret/<int:brand_code>/kanal/", optout_views.optout_channels, name="channels"),
    path("ret/<int:brand_code>/tamam/", optout_views.optout_done, name="done"),
    path("ret/b/<str:token>/", optout_views.signed_link, name="link"),
    path("sms/inbound/", optout_views.sms_inbound, name="sms_inbound"),
]
