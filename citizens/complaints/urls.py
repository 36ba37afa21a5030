"""Citizen complaint pages, mounted at /vatandas/sikayet/."""
from django.urls import path

from . import views

app_name = "complaints"

urlpatterns = [
    path("", views.complaint_list, name="list"),
    path("yeni/", views.complaint_new, name="new"),
    path("<int:complaint_id>/", views.complaint_detail, name="detail"),
]
