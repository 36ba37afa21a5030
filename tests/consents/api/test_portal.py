"""The portal's API users page, the create_api_user command and the demo builder."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from consents.models import ApiToken, ApiUser, ApiUserKind
from providers.models import Role
from tests import factories
from tests.consents.api.support import client_for, consent_body

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_owner_creates_an_api_user_sees_its_password_once_and_its_activity(
    owner, provider, brand, django_capture_on_commit_callbacks
):
    client = signed_in(owner)
    page = client.get("/isletme/api-kullanicilari/")
    assert page.status_code == 200 and str(provider.iys_code) in page.content.decode()
    r = client.post(
        "/isletme/api-kullanicilari/", {"username": "erp-sistemi", "label": "ERP", "retailer": ""}
    )
    assert r.status_code == 200
    password = re.search(r'id="new-api-password">([^<]+)<', r.content.decode()).group(1)
    user = ApiUser.objects.get(username="erp-sistemi")
    assert user.kind == ApiUserKind.PROVIDER and user.provider == provider and user.check_password(password)
    assert password not in user.password
    # The new credentials work against the API, and the call shows up on the page.
    token = (
        Client(REMOTE_ADDR="10.9.9.9")
        .post(
            "/api/oauth2/token",
            data={"grant_type": "password", "username": "erp-sistemi", "password": password},
        )
        .json()["access_token"]
    )
    api = client_for(user)
    api.token = token
    assert (
        api.post(f"/sps/{provider.iys_code}/brands/{brand.brand_code}/consents", consent_body()).status_code
        == 200
    )
    page = client.get("/isletme/api-kullanicilari/").content.decode()
    assert f"POST /api/sps/{provider.iys_code}/brands/{brand.brand_code}/consents" in page
    # Switching it off kills its tokens at once.
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(f"/isletme/api-kullanicilari/{user.pk}/kapat/")
    assert r.status_code == 302
    assert (
        api.post(
            f"/sps/{provider.iys_code}/brands/{brand.brand_code}/consents/status",
            {"recipient": "+905321234567", "recipientType": "BIREYSEL", "type": "MESAJ"},
        ).status_code
        == 401
    )
    assert not ApiToken.objects.filter(api_user=user, revoked_at__isnull=True).exists()


def test_a_dealer_user_is_created_for_one_of_the_providers_dealers(owner, provider, brand):
    dealer = factories.RetailerFactory(brand=brand)
    foreign = factories.RetailerFactory()
    client = signed_in(owner)
    r = client.post("/isletme/api-kullanicilari/", {"username": "bayi-api", "retailer": foreign.pk})
    assert r.status_code == 200 and not ApiUser.objects.filter(username="bayi-api").exists()
    client.post("/isletme/api-kullanicilari/", {"username": "bayi-api", "retailer": dealer.pk})
    assert ApiUser.objects.get(username="bayi-api").retailer == dealer


def test_only_owners_manage_api_users_and_only_their_own(provider, brand):
    viewer = factories.MembershipFactory(provider=provider, role=Role.VIEWER).user
    assert signed_in(viewer).get("/isletme/api-kullanicilari/").status_code == 403
    other_owner = factories.MembershipFactory().user
    mine = ApiUser.objects.create(
        kind=ApiUserKind.PROVIDER, provider=provider, username="benim", password="x"
    )
    assert signed_in(other_owner).post(f"/isletme/api-kullanicilari/{mine.pk}/kapat/").status_code == 404
    assert ApiUser.objects.get(pk=mine.pk).is_active


def test_create_api_user_command(provider, capsys):
    call_command(
        "create_api_user",
        "--iys-code",
        str(provider.iys_code),
        "--username",
        "kabuk",
        "--password",
        "uzun-bir-parola-123",
    )
    user = ApiUser.objects.get(username="kabuk")
    assert user.provider == provider and user.check_password("uzun-bir-parola-123")
    intermediary = factories.IntermediaryFactory()
    call_command("create_api_user", "--intermediary", str(intermediary.code), "--username", "araci")
    assert "password: " in capsys.readouterr().out
    assert ApiUser.objects.get(username="araci").kind == ApiUserKind.INTERMEDIARY
    with pytest.raises(CommandError):
        call_command(
            "create_api_user", "--iys-code", "1", "--username", "yok", "--password", "uzun-bir-parola-123"
        )
    with pytest.raises(CommandError):
        call_command(
            "create_api_user",
            "--iys-code",
            str(provider.iys_code),
            "--username",
            "kisa",
            "--password",
            "kisa",
        )


def test_demo_builder_creates_both_users_and_prints_their_credentials(provider, brand):
    from config.demo import DemoContext
    from consents.api.demo import INTERMEDIARY_USER, PROVIDER_USER, build

    intermediary = factories.IntermediaryFactory()
    lines = build(
        DemoContext(objects={"providers": [provider], "brands": [brand], "intermediary": intermediary})
    )
    text = "\n".join(lines)
    assert PROVIDER_USER[1] in text and INTERMEDIARY_USER[1] in text
    assert ApiUser.objects.get(username=PROVIDER_USER[0]).check_password(PROVIDER_USER[1])
    assert ApiUser.objects.get(username=INTERMEDIARY_USER[0]).intermediary == intermediary
