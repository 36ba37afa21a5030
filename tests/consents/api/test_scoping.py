"""Who may act on what: another provider's brands, intermediaries' authorisations, dealers' one brand."""

from __future__ import annotations

import pytest
from django.utils import timezone

from consents.models import ActorKind, Consent, ConsentEvent, RetailerAccess, Status
from tests import factories
from tests.consents.api.support import (  # noqa: F401 - fixtures
    api,
    api_user,
    base,
    client_for,
    consent_body,
    make_api_user,
)

pytestmark = pytest.mark.django_db
QUERY = {"recipient": "+905300000001", "recipientType": "BIREYSEL", "type": "MESAJ"}


def error(r) -> tuple[int, str, str]:
    e = r.json()["errors"][0]
    return r.status_code, e["code"], e["message"]


def test_a_provider_user_cannot_touch_another_providers_brand(api, provider, brand):
    other = factories.BrandFactory()
    r = api.post(f"/sps/{other.provider.iys_code}/brands/{other.brand_code}/consents", consent_body())
    assert error(r) == (403, "H353", "iysCode, kullanıcı izinleriyle eşleştirilemiyor")
    # Its own iysCode with a foreign brand code is refused too.
    r = api.post(f"/sps/{provider.iys_code}/brands/{other.brand_code}/consents/status", QUERY)
    assert error(r) == (403, "H353", "brandCode, kullanıcı izinleriyle eşleştirilemiyor")
    assert api.get(f"/sps/{other.provider.iys_code}/brands").status_code == 403


@pytest.fixture
def stored(api, base):
    assert api.post(base + "/consents", consent_body("+905300000001")).status_code == 200
    assert api.post(base + "/consents", consent_body("ayse@example.com")).status_code == 200


def test_intermediary_asks_only_for_authorised_brands_and_channels(stored, provider, brand, base):
    intermediary = factories.IntermediaryFactory()
    factories.IntermediaryAuthorizationFactory(intermediary=intermediary, brand=brand, channel="MESAJ")
    other_brand = factories.BrandFactory(provider=provider)
    sender = client_for(make_api_user(intermediary=intermediary))
    r = sender.post(
        base + "/consents/BIREYSEL/status/MESAJ", {"recipients": ["+905300000001", "+905300000002"]}
    )
    assert r.status_code == 200 and r.json()["list"] == ["+905300000001"]
    assert sender.post(base + "/consents/status", QUERY).json()["status"] == "ONAY"
    # Not authorised for e-mail, nor for the other brand.
    r = sender.post(base + "/consents/BIREYSEL/status/EPOSTA", {"recipients": ["ayse@example.com"]})
    assert error(r)[:2] == (403, "H353")
    r = sender.post(
        f"/sps/{provider.iys_code}/brands/{other_brand.brand_code}/consents/BIREYSEL/status/MESAJ",
        {"recipients": ["+905300000001"]},
    )
    assert error(r)[:2] == (403, "H353")
    # Status only: no writes, no history, no retailers.
    assert error(sender.post(base + "/consents", consent_body("+905300000009")))[:2] == (400, "H363")
    assert error(sender.post(base + "/consents/history", QUERY))[:2] == (400, "H363")
    assert error(sender.get(f"/sps/{provider.iys_code}/brands"))[:2] == (400, "H363")
    # Its authorised brands, İYS's integrator listing.
    listing = sender.get(f"/integrator/{intermediary.code}/sps").json()
    assert [(b["brandCode"], b.get("MESAJ"), b.get("EPOSTA")) for b in listing["list"]] == [
        (brand.brand_code, "read", None)
    ]
    # A revocation takes effect at once.
    auth = intermediary.authorizations.get()
    auth.revoked_at = timezone.now()
    auth.save()
    r = sender.post(base + "/consents/BIREYSEL/status/MESAJ", {"recipients": ["+905300000001"]})
    assert r.status_code == 403


def test_a_dealer_acts_only_within_its_brand_and_as_the_dealer(stored, provider, brand, base):
    dealer = factories.RetailerFactory(brand=brand)
    other_brand = factories.BrandFactory(provider=provider)
    api = client_for(make_api_user(retailer=dealer))
    r = api.post(base + "/consents", consent_body("+905300000005"))
    assert r.status_code == 200, r.content
    event = ConsentEvent.objects.get(transaction_id=r.json()["transactionId"])
    assert event.actor_kind == ActorKind.RETAILER and event.retailer == dealer
    # The brand's own consent is the dealer's only once the brand opens it to the dealer (issue 10, point 4).
    assert api.post(base + "/consents/status", QUERY).status_code == 404
    RetailerAccess.objects.create(consent=Consent.objects.get(recipient=QUERY["recipient"]), retailer=dealer)
    assert api.post(base + "/consents/status", QUERY).json()["status"] == Status.ONAY
    r = api.post(
        f"/sps/{provider.iys_code}/brands/{other_brand.brand_code}/consents", consent_body("+905300000006")
    )
    assert error(r)[:2] == (403, "H353")
    # Managing the brand's dealers or push endpoints is the provider's business.
    assert error(api.get(base + "/retailers"))[:2] == (400, "H363")
    assert error(
        api.post(
            base + "/push/registration",
            {
                "connection": [
                    {"url": "https://example.com/push", "type": "MESAJ", "username": "u", "password": "p"}
                ]
            },
        )
    )[:2] == (400, "H363")
    brands = api.get(f"/sps/{provider.iys_code}/brands").json()
    assert [b["brandCode"] for b in brands] == [brand.brand_code]
