"""Roles decide who may write consents and manage brands; dealer accounts see one brand only."""
from __future__ import annotations

import pytest
from django.urls import reverse

from consents.models import ActorKind, Consent, ConsentEvent, RetailerAccess
from providers.models import Brand, IntermediaryAuthorization, Retailer, Role
from tests import factories

from .portal_data import make_setup, record

pytestmark = pytest.mark.django_db

CONSENT_POST = {
    "recipient": "0532 111 22 33", "channel": "MESAJ", "recipient_type": "BIREYSEL",
    "status": "ONAY", "source": "HS_WEB",
}


def _consent_post(brand, **extra) -> dict:
    from django.utils import timezone

    moment = timezone.localtime().replace(microsecond=0, tzinfo=None).isoformat()
    return {**CONSENT_POST, "brand": brand.brand_code, "consent_date": moment, **extra}


@pytest.mark.parametrize("role", [Role.VIEWER])
def test_viewer_reads_but_cannot_write(client, role):
    setup = make_setup(role=role)
    consent = record(setup.brand)
    retailer = factories.RetailerFactory(brand=setup.brand)
    grant = factories.IntermediaryAuthorizationFactory(brand=setup.brand)
    client.force_login(setup.user)
    for name, args in [("dashboard", []), ("brands", []), ("retailers", []), ("intermediaries", []),
                       ("consents", []), ("changes", []), ("consent_detail", [consent.pk])]:
        assert client.get(reverse(f"portal:{name}", args=args)).status_code == 200, name
    assert client.get(reverse("portal:consent_export")).status_code == 200

    refused = client.post(reverse("portal:consent_create"), _consent_post(setup.brand))
    assert refused.status_code == 403
    assert "yetkisi rolünüzde yok" in refused.content.decode()
    assert Consent.objects.count() == 1
    for method, url, data in [
        ("post", reverse("portal:brand_create"), {"name": "Yeni"}),
        ("post", reverse("portal:brand_edit", args=[setup.brand.brand_code]), {"name": "Yeni"}),
        ("post", reverse("portal:retailer_create"), {"brand": setup.brand.brand_code, "name": "B", "kind": "BAYI"}),
        ("post", reverse("portal:retailer_delete", args=[retailer.code]), {}),
        ("post", reverse("portal:authorization_revoke", args=[grant.pk]), {}),
        ("post", reverse("portal:intermediaries"),
         {"brand": setup.brand.brand_code, "intermediary": grant.intermediary.code, "channel": "ARAMA"}),
    ]:
        assert getattr(client, method)(url, data).status_code == 403, url
    assert Brand.objects.filter(provider=setup.provider).count() == 1
    assert Retailer.objects.filter(pk=retailer.pk).exists()
    assert IntermediaryAuthorization.objects.get(pk=grant.pk).revoked_at is None
    assert IntermediaryAuthorization.objects.count() == 1


def test_viewer_sees_no_write_buttons(client):
    setup = make_setup(role=Role.VIEWER)
    client.force_login(setup.user)
    assert reverse("portal:consent_create") not in client.get(reverse("portal:consents")).content.decode()
    assert reverse("portal:brand_create") not in client.get(reverse("portal:brands")).content.decode()


def test_operator_writes_consents_but_cannot_manage_brands(client):
    setup = make_setup(role=Role.OPERATOR)
    client.force_login(setup.user)
    response = client.post(reverse("portal:consent_create"), _consent_post(setup.brand))
    assert response.status_code == 302
    consent = Consent.objects.get(brand=setup.brand)
    assert consent.recipient == "+905321112233"
    event = consent.events.get()
    assert event.actor_kind == ActorKind.PROVIDER and event.actor_user == setup.user and event.via == "WEB"
    assert client.post(reverse("portal:brand_create"), {"name": "Yeni"}).status_code == 403
    assert client.get(reverse("portal:retailer_create")).status_code == 403


@pytest.mark.parametrize("role", [Role.MANAGER, Role.OWNER])
def test_manager_and_owner_manage_brands(client, role):
    setup = make_setup(role=role)
    client.force_login(setup.user)
    assert client.post(reverse("portal:brand_create"), {"name": "Yeni Marka"}).status_code == 302
    brand = Brand.objects.get(provider=setup.provider, name="Yeni Marka")
    assert brand.brand_code > 0 and not brand.is_master
    assert setup.provider.audit_events.filter(action="brand.create", actor=setup.user).exists()


# --- Dealer accounts ---------------------------------------------------------------------------


@pytest.fixture
def dealer_world():
    """Brand owner A with two brands; dealer company D (its own provider) works for A's first brand."""
    owner = make_setup()
    other_brand = factories.BrandFactory(provider=owner.provider, name="Başka Marka")
    dealer = make_setup(role=Role.OPERATOR)
    retailer = factories.RetailerFactory(brand=owner.brand, linked_provider=dealer.provider, name="Bayi Ltd")
    shared = record(owner.brand, user=owner.user, recipient="paylasilan@example.com", channel="EPOSTA")
    # The brand opened this consent to its dealer (İYS retailerAccess; issue 10, point 4).
    RetailerAccess.objects.create(consent=shared, retailer=retailer)
    hidden = record(other_brand, user=owner.user, recipient="gizli@example.com", channel="EPOSTA")
    return owner, other_brand, dealer, retailer, shared, hidden


def test_dealer_sees_the_brand_it_works_for_marked_as_dealer(client, dealer_world):
    owner, other_brand, dealer, _retailer, shared, hidden = dealer_world
    client.force_login(dealer.user)
    brands = client.get(reverse("portal:brands"))
    assert [a.brand for a in brands.context["dealer_brands"]] == [owner.brand]
    page = brands.content.decode()
    assert "bayi olarak" in page and other_brand.name not in page

    consents = client.get(reverse("portal:consents")).content.decode()
    assert shared.recipient in consents and hidden.recipient not in consents
    assert client.get(reverse("portal:consent_detail", args=[shared.pk])).status_code == 200
    assert client.get(reverse("portal:consent_detail", args=[hidden.pk])).status_code == 404


def test_dealer_cannot_manage_the_brand_it_works_for(client, dealer_world):
    owner, _other, dealer, retailer, *_ = dealer_world
    dealer.owner.role = Role.OWNER
    dealer.owner.save()
    client.force_login(dealer.user)
    assert client.get(reverse("portal:brand_edit", args=[owner.brand.brand_code])).status_code == 404
    assert client.get(reverse("portal:retailer_edit", args=[retailer.code])).status_code == 404
    assert client.get(reverse("portal:retailers"), {"brand": owner.brand.brand_code}).status_code == 404


def test_dealer_adds_a_consent_for_the_brand_as_the_retailer(client, dealer_world):
    owner, _other, dealer, retailer, *_ = dealer_world
    client.force_login(dealer.user)
    response = client.post(reverse("portal:consent_create"), _consent_post(owner.brand, retailer_code="99999999"))
    assert response.status_code == 302, response.context["form"].errors if response.context else ""
    consent = Consent.objects.get(brand=owner.brand, recipient="+905321112233")
    assert consent.retailer == retailer  # the retailer it acts as, whatever code was typed
    event = ConsentEvent.objects.get(consent=consent)
    assert event.actor_kind == ActorKind.RETAILER
    assert event.retailer == retailer and event.actor_user == dealer.user
    assert "Bayi Ltd" in event.actor_label


def test_dealer_cannot_add_consents_to_the_brands_other_brands(client, dealer_world):
    _owner, other_brand, dealer, *_ = dealer_world
    client.force_login(dealer.user)
    response = client.post(reverse("portal:consent_create"), _consent_post(other_brand))
    assert response.status_code == 200 and "brand" in response.context["form"].errors
    assert not Consent.objects.filter(brand=other_brand, recipient="+905321112233").exists()


def test_dealer_viewer_cannot_add_consents(client, dealer_world):
    owner, _other, dealer, *_ = dealer_world
    dealer.owner.role = Role.VIEWER
    dealer.owner.save()
    client.force_login(dealer.user)
    assert client.post(reverse("portal:consent_create"), _consent_post(owner.brand)).status_code == 403


def test_unlinking_the_dealer_removes_its_access(client, dealer_world):
    _owner, _other, dealer, retailer, shared, _hidden = dealer_world
    retailer.linked_provider = None
    retailer.save()
    client.force_login(dealer.user)
    assert client.get(reverse("portal:consent_detail", args=[shared.pk])).status_code == 404
