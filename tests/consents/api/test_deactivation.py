"""Switching off an API user, its provider or its intermediary ends its tokens at once, by every path."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.forms import CheckboxInput
from django.test import Client
from django.urls import reverse

from consents.api.auth import _cache_key, hash_token, issue_tokens, revoke_tokens, verify_access_token
from consents.models import ApiToken, ApiUser
from providers.models import Intermediary, Provider
from tests import factories
from tests.consents.api.support import ApiClient, make_api_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def caller(provider, brand):
    """An API user whose token has been used once, so its identity sits in the cache and in memory."""
    user = make_api_user(provider=provider)
    raw = issue_tokens(api_user=user, address="10.0.0.1")["access_token"]
    api = ApiClient(raw)
    assert brands_status(api, provider) == 200
    return user, api


def brands_status(api: ApiClient, provider: Provider) -> int:
    return api.get(f"/sps/{provider.iys_code}/brands").status_code


def live_tokens(user: ApiUser) -> int:
    return ApiToken.objects.filter(api_user=user, revoked_at__isnull=True).count()


def test_save_of_the_api_user(caller, provider, django_capture_on_commit_callbacks):
    user, api = caller
    with django_capture_on_commit_callbacks(execute=True):
        user.is_active = False
        user.save()
    assert brands_status(api, provider) == 401 and live_tokens(user) == 0


def test_queryset_update_of_api_users(caller, provider, django_capture_on_commit_callbacks):
    user, api = caller
    with django_capture_on_commit_callbacks(execute=True):
        assert ApiUser.objects.filter(provider=provider).update(is_active=False) == 1
    assert brands_status(api, provider) == 401 and live_tokens(user) == 0


def test_bulk_update_of_api_users(caller, provider, django_capture_on_commit_callbacks):
    user, api = caller
    other = make_api_user(provider=provider)
    other_api = ApiClient(issue_tokens(api_user=other, address="10.0.0.1")["access_token"])
    user.is_active = False
    with django_capture_on_commit_callbacks(execute=True):
        ApiUser.objects.bulk_update([user, other], ["is_active"])
    assert brands_status(api, provider) == 401
    # The user left active keeps working.
    assert brands_status(other_api, provider) == 200 and live_tokens(other) == 2


def test_save_and_queryset_update_of_the_provider(caller, provider, brand, django_capture_on_commit_callbacks):
    user, api = caller
    with django_capture_on_commit_callbacks(execute=True):
        provider.is_active = False
        provider.save()
    assert brands_status(api, provider) == 401 and live_tokens(user) == 0

    second = factories.ProviderFactory()
    factories.BrandFactory(provider=second, is_master=True)
    second_user = make_api_user(provider=second)
    second_api = ApiClient(issue_tokens(api_user=second_user, address="10.0.0.1")["access_token"])
    assert brands_status(second_api, second) == 200
    with django_capture_on_commit_callbacks(execute=True):
        Provider.objects.filter(pk=second.pk).update(is_active=False)
    assert brands_status(second_api, second) == 401 and live_tokens(second_user) == 0


def test_dealer_users_end_with_their_provider(provider, brand, django_capture_on_commit_callbacks):
    retailer = factories.RetailerFactory(brand=brand)
    dealer = make_api_user(retailer=retailer)
    issue_tokens(api_user=dealer, address="10.0.0.1")
    with django_capture_on_commit_callbacks(execute=True):
        Provider.objects.filter(pk=provider.pk).update(is_active=False)
    assert live_tokens(dealer) == 0


def test_intermediary_switched_off(django_capture_on_commit_callbacks):
    intermediary = Intermediary.objects.create(name="Aracı", code=9001)
    user = make_api_user(intermediary=intermediary)
    raw = issue_tokens(api_user=user, address="10.0.0.1")["access_token"]
    assert verify_access_token(raw) is not None
    with django_capture_on_commit_callbacks(execute=True):
        Intermediary.objects.filter(pk=intermediary.pk).update(is_active=False)
    assert verify_access_token(raw) is None and live_tokens(user) == 0


def test_nothing_ends_before_the_commit_nor_for_unrelated_saves(caller, provider, django_capture_on_commit_callbacks):
    user, api = caller
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        provider.name = "Yeni ünvan"
        provider.save()
        ApiUser.objects.filter(pk=user.pk).update(label="etiket")
        ApiUser.objects.filter(pk=user.pk).update(is_active=True)
    assert callbacks == [] and live_tokens(user) == 2
    assert brands_status(api, provider) == 200


def change_form_data(page: Any) -> dict[str, Any]:
    """What the admin change form would post back unchanged (main form and inline formsets)."""
    data: dict[str, Any] = {"_save": "Kaydet"}

    def add(form: Any) -> None:
        for name, field in form.fields.items():
            bound = form[name]
            value = bound.value()
            if isinstance(field.widget, CheckboxInput):
                if value:
                    data[bound.html_name] = "on"
            elif value is not None:
                data[bound.html_name] = value

    add(page.context["adminform"].form)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form)
        for form in formset.forms:
            add(form)
    return data


@pytest.fixture
def operator_client() -> Client:
    admin_user = get_user_model().objects.create_superuser("op", "op@example.org", "parola-123456")
    client = Client()
    client.force_login(admin_user)
    return client


def test_admin_change_form_of_the_api_user(caller, provider, operator_client, django_capture_on_commit_callbacks):
    user, api = caller
    url = reverse("admin:consents_apiuser_change", args=[user.pk])
    data = change_form_data(operator_client.get(url))
    data.pop("is_active")
    with django_capture_on_commit_callbacks(execute=True):
        response = operator_client.post(url, data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    assert brands_status(api, provider) == 401 and live_tokens(user) == 0


def test_admin_change_form_of_the_provider(caller, provider, operator_client, django_capture_on_commit_callbacks):
    user, api = caller
    url = reverse("admin:providers_provider_change", args=[provider.pk])
    data = change_form_data(operator_client.get(url))
    data.pop("is_active")
    with django_capture_on_commit_callbacks(execute=True):
        response = operator_client.post(url, data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    assert brands_status(api, provider) == 401 and live_tokens(user) == 0


def test_admin_action_of_the_api_user(caller, provider, operator_client, django_capture_on_commit_callbacks):
    user, api = caller
    with django_capture_on_commit_callbacks(execute=True):
        operator_client.post(
            reverse("admin:consents_apiuser_changelist"),
            {"action": "deactivate", "_selected_action": [user.pk]},
        )
    assert brands_status(api, provider) == 401 and live_tokens(user) == 0


def test_a_request_that_read_the_old_state_cannot_cache_it_again(caller):
    user, api = caller
    raw = api.token
    key = _cache_key(hash_token(raw))
    stale = cache.get(key)
    assert stale  # the principal verified before the deactivation
    revoke_tokens([user.pk])
    # A request that verified the token just before the revocation now writes its result: it loses.
    assert cache.add(key, stale, 600) is False
    assert verify_access_token(raw) is None
