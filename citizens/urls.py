from django.urls import path

from . import views

app_name = "citizens"

urlpatterns = [
    path("", views.consents, name="consents"),
    path("izinlerim/", views.consents, name="consents_alias"),
    path("izinlerim/ret/", views.reject, name="reject"),
    path("izinlerim/onay/", views.approve, name="approve"),
    path("izinlerim/marka-ekle/", views.add_brand, name="add_brand"),
    path("giris/", views.sign_in, name="sign_in"),
    path("giris/kod/", views.sign_in_code, name="sign_in_code"),
    path("cikis/", views.sign_out, name="sign_out"),
    path("adresler/", views.addresses, name="addresses"),
    path("adresler/dogrula/", views.address_verify, name="address_verify"),
    path("adresler/<int:address_id>/kaldir/", views.address_release, name="address_release"),
    path("verilerim/", views.data_page, name="my_data"),
    path("verilerim/verilerim.json", views.data_json, name="my_data_json"),
    path("verilerim/verilerim.csv", views.data_csv, name="my_data_csv"),
    path("yardim/", views.help_page, name="help"),
    path("gelistirici/giden-iletiler/", views.dev_outbox, name="dev_outbox"),
]
