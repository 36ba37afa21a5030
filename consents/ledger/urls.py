"""The reconciliation pages, mounted by the portal's URLconf (providers/urls.py) at /isletme/mutabakat/."""
from django.urls import path

from . import views

urlpatterns = [
    path("", views.reconciliation, name="reconciliation"),
    path("<int:brand_code>/<str:day>/dosya/", views.reconciliation_file, name="reconciliation_file"),
    path("<int:brand_code>/<str:day>/onayla/", views.reconciliation_agree, name="reconciliation_agree"),
    path("<int:brand_code>/<str:day>/hazirla/", views.reconciliation_build, name="reconciliation_build"),
]
