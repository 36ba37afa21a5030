"""Upload pages, included under the portal namespace at /isletme/yuklemeler/."""
from django.urls import path

from . import views

urlpatterns = [
    path("", views.upload_list, name="uploads"),
    path("yeni/", views.upload_new, name="upload_new"),
    path("sablon.<str:kind>", views.upload_template, name="upload_template"),
    path("<int:pk>/", views.upload_detail, name="upload_detail"),
    path("<int:pk>/durum/", views.upload_status, name="upload_status"),
    path("<int:pk>/uygula/", views.upload_apply, name="upload_apply"),
    path("<int:pk>/rapor/", views.upload_report, name="upload_report"),
    path("<int:pk>/dosya/", views.upload_original, name="upload_original"),
]
