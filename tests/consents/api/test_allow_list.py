"""API IP allow-lists: an API user with networks set may only call (and sign in) from inside them."""

from __future__ import annotations

import pytest
from django.test import Client

from consents.models import ApiUser
from providers.models import ProviderAuditEvent, Role
from tests import factories
from tests.consents.api.support import PASSWORD, client_for, make_api_user

pytestmark = pytest.mark.django_db


def error(response) -> tuple[int, str]:
    return response.status_code, response.json()["errors"][0]["code"]


def test_calls_from_outside_the_list_get_403_h363(provider, brand):
    user = make_api_user(provider=provider)
    ApiUser.objects.filter(pk=user.pk).update(allowed_networks=["203.0.113.0/24", "2001:db8::/32"])
    path = f"/sps/{provider.iys_code}/brands"
    assert client_for(user, address="203.0.113.7").get(path).status_code == 200
    assert client_for(user, address="2001:db8::5").get(path).status_code == 200
    assert error(client_for(user, address="198.51.100.1").get(path)) == (400, "H363")
    # Signing in from outside is refused too; from inside it works.
    body = {"grant_type": "password", "username": user.username, "password": PASSWORD}
    assert error(Client(REMOTE_ADDR="198.51.100.1").post("/api/oauth2/token", data=body)) == (400, "H363")
    assert Client(REMOTE_ADDR="203.0.113.9").post("/api/oauth2/token", data=body).status_code == 200


def test_the_address_is_the_trusted_proxy_client_address(provider, brand, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    user = make_api_user(provider=provider)
    ApiUser.objects.filter(pk=user.pk).update(allowed_networks=["203.0.113.7/32"])
    api = client_for(user, address="10.0.0.2")  # the proxy
    path = f"/sps/{provider.iys_code}/brands"
    assert api.get(path, HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 200
    # A client cannot pick its address by prepending to the header: the proxy appended the real one.
    assert error(api.get(path, HTTP_X_FORWARDED_FOR="203.0.113.7, 198.51.100.1")) == (400, "H363")


def test_the_owner_manages_the_list_in_the_portal_and_it_applies_at_once(
    owner, provider, brand, django_capture_on_commit_callbacks
):
    user = make_api_user(provider=provider)
    api = client_for(user, address="198.51.100.1")
    path = f"/sps/{provider.iys_code}/brands"
    assert api.get(path).status_code == 200  # the principal is now cached
    portal = Client()
    portal.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        r = portal.post(f"/isletme/api-kullanicilari/{user.pk}/ag/", {"networks": "203.0.113.0/24,\n2001:db8::1"})
    assert r.status_code == 302
    user.refresh_from_db()
    assert user.allowed_networks == ["203.0.113.0/24", "2001:db8::1/128"]
    audit = ProviderAuditEvent.objects.get(action="api_user.networks")
    assert audit.actor == owner and audit.detail == {"from": [], "to": user.allowed_networks}
    assert error(api.get(path)) == (400, "H363")
    page = portal.get("/isletme/api-kullanicilari/").content.decode()
    assert "203.0.113.0/24\n2001:db8::1/128</textarea>" in page
    # A typo is refused with the entry named, and nothing changes.
    r = portal.post(f"/isletme/api-kullanicilari/{user.pk}/ag/", {"networks": "203.0.113.0/24 10.0.0.300"}, follow=True)
    assert "“10.0.0.300” bir IP adresi ya da ağı değil" in r.content.decode()
    user.refresh_from_db()
    assert user.allowed_networks == ["203.0.113.0/24", "2001:db8::1/128"]
    # Emptying the list opens it again.
    with django_capture_on_commit_callbacks(execute=True):
        portal.post(f"/isletme/api-kullanicilari/{user.pk}/ag/", {"networks": ""})
    assert api.get(path).status_code == 200


def test_only_the_owner_of_the_provider_edits_the_list(provider, brand):
    user = make_api_user(provider=provider)
    manager = factories.MembershipFactory(provider=provider, role=Role.MANAGER).user
    stranger = factories.MembershipFactory().user
    for who, status in ((manager, 403), (stranger, 404)):
        client = Client()
        client.force_login(who)
        r = client.post(f"/isletme/api-kullanicilari/{user.pk}/ag/", {"networks": "10.0.0.0/8"})
        assert r.status_code == status
    user.refresh_from_db()
    assert user.allowed_networks == []


def test_the_refresh_token_grant_is_held_to_the_list_too(provider, brand):
    """A refresh token carried off an allowed machine mints nothing elsewhere; the rightful client's refresh
    still works afterwards (the refused call does not burn the token)."""
    user = make_api_user(provider=provider)
    ApiUser.objects.filter(pk=user.pk).update(allowed_networks=["203.0.113.0/24"])
    body = {"grant_type": "password", "username": user.username, "password": PASSWORD}
    tokens = Client(REMOTE_ADDR="203.0.113.9").post("/api/oauth2/token", data=body).json()
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    assert error(Client(REMOTE_ADDR="198.51.100.1").post("/api/oauth2/token", data=refresh)) == (400, "H363")
    renewed = Client(REMOTE_ADDR="203.0.113.10").post("/api/oauth2/token", data=refresh)
    assert renewed.status_code == 200 and renewed.json()["access_token"] != tokens["access_token"]
