"""Dealer consent access as İYS (issue 10, point 4): a dealer sees, exports, queries and changes only
the consents its brand gave it access to (retailerAccess) and those it recorded itself; the brand's own
users see everything; a dealer's movement never takes a consent away from another dealer."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from consents.actors import Actor
from consents.errors import ConsentRuleError
from consents.models import Consent, Via
from consents.selectors import can_send
from consents.services import consent_record, consent_reject_by_citizen
from tests import factories
from tests.consents.api.support import client_for, consent_body, make_api_user, recent
from tests.providers.portal_data import make_setup

pytestmark = pytest.mark.django_db

GRANTED, THEIRS, BRANDS, MINE = "+905300000001", "+905300000002", "+905300000003", "+905300000004"


def codes(response) -> list[str]:
    return [e["code"] for e in response.json()["errors"]]


class World:
    """A brand with two dealers: one consent opened to dealer A, one recorded by dealer B, one of the brand."""

    def __init__(self) -> None:
        self.setup = make_setup()
        self.brand = self.setup.brand
        provider = self.setup.provider
        self.base = f"/sps/{provider.iys_code}/brands/{self.brand.brand_code}"
        self.a = factories.RetailerFactory(brand=self.brand, name="Bayi A")
        self.b = factories.RetailerFactory(brand=self.brand, name="Bayi B")
        self.owner_api = client_for(make_api_user(provider=provider))
        self.a_api = client_for(make_api_user(retailer=self.a))
        self.b_api = client_for(make_api_user(retailer=self.b))
        for recipient in (GRANTED, BRANDS):
            assert self.owner_api.post(self.base + "/consents", consent_body(recipient, consentDate=recent(hours=3))).status_code == 200
        assert self.b_api.post(self.base + "/consents", consent_body(THEIRS, consentDate=recent(hours=3))).status_code == 200
        r = self.owner_api.post(self.base + "/consents/retailers/access", {
            "recipient": GRANTED, "recipientType": "BIREYSEL", "type": "MESAJ", "retailerAccess": [self.a.code],
        })
        assert r.status_code == 200, r.content

    def status(self, api, recipient: str):
        return api.post(self.base + "/consents/status", {"recipient": recipient, "recipientType": "BIREYSEL", "type": "MESAJ"})


@pytest.fixture
def world() -> World:
    return World()


def test_dealer_queries_only_what_it_was_given_or_recorded(world):
    assert world.status(world.a_api, GRANTED).status_code == 200
    for recipient in (THEIRS, BRANDS):
        assert world.status(world.a_api, recipient).status_code == 404
    assert world.status(world.b_api, THEIRS).json()["retailerCode"] == world.b.code
    r = world.a_api.post(world.base + "/consents/BIREYSEL/status/MESAJ", {"recipients": [GRANTED, THEIRS, BRANDS]})
    assert r.json()["list"] == [GRANTED]
    history = world.a_api.post(world.base + "/consents/history", {"recipient": THEIRS, "recipientType": "BIREYSEL", "type": "MESAJ"})
    assert history.json()["pagination"]["totalCount"] == 0
    # The brand's own users see everything.
    r = world.owner_api.post(world.base + "/consents/BIREYSEL/status/MESAJ", {"recipients": [GRANTED, THEIRS, BRANDS]})
    assert r.json()["list"] == [GRANTED, THEIRS, BRANDS]
    # ileti's may-send answers the dealer alike; the selector takes the dealer too.
    rows = world.a_api.post(world.base + "/may-send/list", {"recipients": [GRANTED, THEIRS], "type": "MESAJ"}).json()["list"]
    assert [(row["allowed"], row["reason"]) for row in rows] == [(True, "ONAY"), (False, "NO_RECORD")]
    assert not can_send(brand=world.brand, recipient=THEIRS, recipient_type="BIREYSEL", channel="MESAJ",
                        retailer_id=world.a.pk).allowed


def test_a_rejection_holds_for_a_dealer_that_cannot_see_the_record(world):
    consent_reject_by_citizen(brand=world.brand, recipient=BRANDS, channel="MESAJ", source="IYS_WEB",
                              actor=Actor.citizen(None, "v"), via=Via.WEB)
    for recipient_type in ("BIREYSEL", "TACIR"):
        r = world.a_api.post(world.base + "/may-send", {"recipient": BRANDS, "recipientType": recipient_type, "type": "MESAJ"})
        assert (r.json()["allowed"], r.json()["reason"]) == (False, "CITIZEN_REJECTED")
        r = world.a_api.post(world.base + "/consents/status", {"recipient": BRANDS, "recipientType": recipient_type, "type": "MESAJ"})
        assert r.json()["status"] == "RET"
    r = world.a_api.post(world.base + "/consents/TACIR/status/MESAJ", {"recipients": [BRANDS]})
    assert r.json()["list"] == []


def test_retailer_access_endpoints_drive_it(world):
    body = {"recipients": [GRANTED], "recipientType": "BIREYSEL", "type": "MESAJ", "retailerAccess": [world.a.code]}
    # İYS answers removal with 202 (issue 10, point 2).
    assert world.owner_api.post(world.base + "/consents/retailers/access/remove", body).status_code == 202
    assert world.status(world.a_api, GRANTED).status_code == 404
    body = {"recipients": [BRANDS], "recipientType": "BIREYSEL", "type": "MESAJ", "retailerAccess": [world.a.code]}
    assert world.owner_api.call("PUT", world.base + "/consents/retailers/access", body).status_code == 202
    assert world.status(world.a_api, BRANDS).status_code == 200


def test_dealer_changes_only_what_it_may_see_and_never_takes_a_consent_away(world):
    rejection = consent_body(THEIRS, status="RET", consentDate=recent(hours=1))
    for path in (world.base + "/consents", "/v2" + world.base + "/consents"):
        r = world.a_api.post(path, rejection)
        assert r.status_code == 403 and codes(r) == ["ILT006"], r.content
    assert Consent.objects.get(recipient=THEIRS).status == "ONAY"
    # B's consent opened to A: A's movement is recorded as A's, the consent stays B's.
    r = world.owner_api.post(world.base + "/consents/retailers/access", {
        "recipient": THEIRS, "recipientType": "BIREYSEL", "type": "MESAJ", "retailerAccess": [world.a.code],
    })
    assert r.status_code == 200
    assert world.a_api.post(world.base + "/consents", rejection).status_code == 200
    consent = Consent.objects.get(recipient=THEIRS)
    assert (consent.status, consent.retailer_id) == ("RET", world.b.pk)
    assert consent.events.latest("id").retailer_id == world.a.pk
    assert world.status(world.b_api, THEIRS).json()["status"] == "RET"
    # A brand-new key is the dealer's own.
    assert world.a_api.post(world.base + "/consents", consent_body(MINE)).status_code == 200
    assert Consent.objects.get(recipient=MINE).retailer_id == world.a.pk
    assert world.status(world.a_api, MINE).status_code == 200


def test_dealer_batch_items_over_hidden_consents_fail(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        accepted = world.a_api.post(world.base + "/consents/request", [
            consent_body(BRANDS, status="RET", consentDate=recent(hours=1)),
            consent_body(GRANTED, status="RET", consentDate=recent(hours=1)),
        ])
    rows = world.a_api.get(world.base + "/consents/request/" + accepted.json()["requestId"]).json()
    assert [(row["status"], row.get("error", {}).get("code")) for row in rows] == [("failure", "ILT006"), ("success", None)]


def test_dealer_change_feed_lists_only_its_consents(world, settings):
    settings.API_CHANGES_SETTLE_SECONDS = 0
    for recipient in (GRANTED, BRANDS):
        consent_reject_by_citizen(brand=world.brand, recipient=recipient, channel="MESAJ", source="IYS_WEB",
                                  actor=Actor.citizen(None, "v"), via=Via.WEB)
    feed = world.a_api.get(world.base + "/consents/changes").json()["list"]
    assert {row["recipient"] for row in feed} == {GRANTED}
    assert {row["recipient"] for row in world.owner_api.get(world.base + "/consents/changes").json()["list"]} == {
        GRANTED, BRANDS,
    }


def test_service_refuses_a_dealer_on_a_consent_it_may_not_see(world):
    with pytest.raises(ConsentRuleError) as caught:
        consent_record(
            brand=world.brand, recipient=BRANDS, recipient_type="BIREYSEL", channel="MESAJ", status="RET",
            source="HS_WEB", consent_date=recent(hours=1), actor=Actor.for_retailer(world.a), via=Via.WEB,
        )
    assert caught.value.code == "ILT006"


# --- the business portal: a provider account linked as the dealer ------------------------------


@pytest.fixture
def dealer_client(client, world):
    dealer = make_setup()
    world.a.linked_provider = dealer.provider
    world.a.save(update_fields=["linked_provider"])
    client.force_login(dealer.user)
    return client


def test_portal_dealer_sees_and_exports_only_its_consents(dealer_client, world):
    page = dealer_client.get(reverse("portal:consents")).context["page"]
    assert {c.recipient for c in page} == {GRANTED}
    export = b"".join(dealer_client.get(reverse("portal:consent_export")).streaming_content).decode("utf-8-sig")
    assert {row["recipient"].lstrip("'") for row in csv.DictReader(io.StringIO(export), delimiter=";")} == {GRANTED}
    hidden = Consent.objects.get(recipient=THEIRS)
    assert dealer_client.get(reverse("portal:consent_detail", args=[hidden.pk])).status_code == 404
    granted = Consent.objects.get(recipient=GRANTED)
    assert dealer_client.get(reverse("portal:consent_detail", args=[granted.pk])).status_code == 200
    # The search's may-send box answers as the dealer.
    rows = dealer_client.get(reverse("portal:consents"), {"q": THEIRS}).context["send_rows"]
    assert [(r.channel, r.bireysel.reason.value) for r in rows if r.brand == world.brand] == [
        ("MESAJ", "NO_RECORD"), ("ARAMA", "NO_RECORD"),
    ]
    rows = dealer_client.get(reverse("portal:consents"), {"q": GRANTED}).context["send_rows"]
    assert [(r.channel, r.bireysel.reason.value) for r in rows if r.brand == world.brand] == [
        ("MESAJ", "ONAY"), ("ARAMA", "NO_RECORD"),
    ]


def test_portal_dealer_change_feed_and_form(dealer_client, world):
    for recipient in (GRANTED, BRANDS):
        consent_reject_by_citizen(brand=world.brand, recipient=recipient, channel="MESAJ", source="IYS_WEB",
                                  actor=Actor.citizen(None, "v"), via=Via.WEB)
    events = dealer_client.get(reverse("portal:changes")).context["events"]
    assert {e.recipient for e in events} == {GRANTED}
    response = dealer_client.post(reverse("portal:consent_create"), {
        "brand": world.brand.brand_code, "recipient": THEIRS, "channel": "MESAJ", "recipient_type": "BIREYSEL",
        "status": "RET", "source": "HS_WEB", "consent_date": recent(hours=1),
    })
    assert response.status_code == 200 and "ILT006" in response.content.decode()
    assert Consent.objects.get(recipient=THEIRS).status == "ONAY"


def test_portal_brand_users_see_everything(client, world):
    client.force_login(world.setup.user)
    page = client.get(reverse("portal:consents")).context["page"]
    assert {c.recipient for c in page} == {GRANTED, THEIRS, BRANDS}
