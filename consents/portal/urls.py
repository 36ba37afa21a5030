"""The business portal's consent pages, mounted under /isletme/ by providers/urls.py (namespace "portal")."""
from django.urls import path

from . import views, views_precheck

urlpatterns = [
    path("izinler/", views.consent_list, name="consents"),
    path("izinler/yeni/", views.consent_create, name="consent_create"),
    path("izinler/disa-aktar/", views.consent_export, name="consent_export"),
    path("izinler/disa-aktar.xlsx", views.consent_export_xlsx, name="consent_export_xlsx"),
    path("izinler/<int:pk>/", views.consent_detail, name="consent_detail"),
    path("degisiklikler/", views.change_feed, name="changes"),
    path("on-kontrol/", views_precheck.campaign_precheck, name="campaign_precheck"),
    path("on-kontrol/<int:pk>/", views_precheck.campaign_check, name="campaign_check"),
    path("on-kontrol/<int:pk>/durum/", views_precheck.campaign_check_status, name="campaign_check_status"),
    path("on-kontrol/<int:pk>/sonuc/", views_precheck.campaign_check_result, name="campaign_check_result"),
    path("on-kontrol/<int:pk>/sonucu-sil/", views_precheck.campaign_check_delete_result,
         name="campaign_check_delete_result"),
]
