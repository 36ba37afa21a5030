"""Sign-in, provider context and switching."""
from __future__ import annotations

import pytest
from django.urls import reverse

from providers.context import PROVIDER_SESSION_KEY
from providers.models import Role
from tests import factories

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_the_portal_sign_in():
    from django.test import Client

    response = Client().get(reverse("portal:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))


def test_sign_in_through_the_form_lands_on_the_dashboard(client):
    membership = factories.MembershipFactory(role=Role.VIEWER)
    response = client.post(
        reverse("portal:login"), {"username": membership.user.username, "password": "parola-123456"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:dashboard")
    page = client.get(reverse("portal:dashboard"))
    assert page.status_code == 200
    assert membership.provider.name in page.content.decode()


def test_wrong_password_gets_a_plain_message(client):
    membership = factories.MembershipFactory()
    response = client.post(reverse("portal:login"), {"username": membership.user.username, "password": "yanlis"})
    assert response.status_code == 200
    assert "Kullanıcı adı ya da parola hatalı" in response.content.decode()


def test_user_without_membership_gets_404(client):
    client.force_login(factories.UserFactory())
    assert client.get(reverse("portal:dashboard")).status_code == 404


def test_switching_provider_changes_what_the_user_acts_for(client):
    first = factories.MembershipFactory(provider__name="A Ticaret")
    second = factories.MembershipFactory(user=first.user, provider__name="B Ticaret")
    client.force_login(first.user)
    assert f'value="{first.provider_id}" selected' in client.get(reverse("portal:dashboard")).content.decode()
    response = client.post(reverse("portal:switch_provider"), {"provider_id": second.provider_id})
    assert response.status_code == 302
    assert client.session[PROVIDER_SESSION_KEY] == second.provider_id
    page = client.get(reverse("portal:dashboard")).content.decode()
    assert f'value="{second.provider_id}" selected' in page


def test_cannot_switch_to_a_provider_one_is_not_a_member_of(client):
    membership = factories.MembershipFactory()
    stranger = factories.ProviderFactory()
    client.force_login(membership.user)
    client.post(reverse("portal:switch_provider"), {"provider_id": stranger.pk})
    assert PROVIDER_SESSION_KEY not in client.session
    page = client.get(reverse("portal:dashboard")).content.decode()
    assert stranger.name not in page


def test_class_based_views_get_the_same_context_and_refusals(rf):
    from django.contrib.sessions.backends.db import SessionStore
    from django.http import HttpResponse
    from django.views import View

    from providers.context import ProviderRequiredMixin

    class Probe(ProviderRequiredMixin, View):
        capability = "can_manage_api_keys"

        def get(self, request):
            return HttpResponse(f"{request.provider.pk}:{request.membership.role}")

    owner = factories.MembershipFactory(role=Role.OWNER)
    manager = factories.MembershipFactory(role=Role.MANAGER)
    for membership, expected in [(owner, 200), (manager, 403)]:
        request = rf.get("/isletme/api-kullanicilari/")
        request.user = membership.user
        request.session = SessionStore()
        response = Probe.as_view()(request)
        assert response.status_code == expected
        if expected == 200:
            assert response.content.decode() == f"{owner.provider_id}:OWNER"
    from django.contrib.auth.models import AnonymousUser

    request = rf.get("/isletme/api-kullanicilari/")
    request.user = AnonymousUser()
    request.session = SessionStore()
    response = Probe.as_view()(request)
    assert response.status_code == 302 and reverse("portal:login") in response["Location"]


PORTAL_URLS = [
    ("portal:dashboard", []), ("portal:brands", []), ("portal:brand_create", []), ("portal:brand_edit", [700000]),
    ("portal:retailers", []), ("portal:retailer_create", []), ("portal:retailer_edit", [20000000]),
    ("portal:retailer_delete", [20000000]), ("portal:intermediaries", []), ("portal:consents", []),
    ("portal:consent_create", []), ("portal:consent_export", []), ("portal:consent_detail", [1]),
    ("portal:changes", []),
]


@pytest.mark.parametrize(("name", "args"), PORTAL_URLS)
def test_every_portal_page_needs_sign_in(client, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login") + "?next=")


def test_tier_card_says_when_addresses_were_counted(client):
    from django.utils import timezone

    membership = factories.MembershipFactory()
    client.force_login(membership.user)
    assert "henüz sayılmadı" in client.get(reverse("portal:dashboard")).content.decode()
    provider = membership.provider
    provider.approved_address_count, provider.tier_counted_at = 151_234, timezone.now()
    provider.save()
    assert "151.234 onaylı adres" in client.get(reverse("portal:dashboard")).content.decode()
