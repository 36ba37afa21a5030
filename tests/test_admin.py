"""The admin shows every model of our apps, and its list pages answer."""
import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse


@pytest.mark.django_db
def test_every_model_is_in_the_admin():
    missing = [
        model._meta.label
        for app in ("providers", "consents", "citizens")
        for model in apps.get_app_config(app).get_models()
        if model not in admin.site._registry
    ]
    assert missing == []


@pytest.mark.django_db
def test_changelists_answer(admin_client):
    for model in admin.site._registry:
        if model._meta.app_label not in ("providers", "consents", "citizens"):
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert admin_client.get(url).status_code == 200, url
        assert admin_client.get(url, {"q": "0532 123 45 67"}).status_code == 200, url


@pytest.mark.django_db
def test_declaration_calendar_shows_the_faq_periods(admin_client):
    page = admin_client.get(reverse("admin:consents_declarationperiod_changelist")).content.decode()
    assert "Beyan takvimi" in page
    assert "2021 beyan dönemi (150.000 ve altı)" in page and "bar-review" in page
