"""Citizen complaint pages, mounted at /vatandas/sikayet/."""
from django.urls import path

from . import complaint_views

app_name = "complaints"

urlpatterns = [
    path("", complaint_views.complaint_list, name="list"),
    path("yeni/", complaint_views.complaint_new, name="new"),
    path("<int:complaint_id>/", complaint_views.complaint_detail, name="detail"),
]
