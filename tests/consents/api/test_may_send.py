"""ileti's own "may I send?" endpoints (SPEC §3 rule 11): allowed or not, with the reason, for one
recipient or up to 1,000, scoped like İYS's status endpoints."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from consents.actors import Actor
from consents.models import Via
from consents.selectors import can_send
from consents.services import consent_record, consent_reject_by_citizen
from tests import factories
from tests.consents.api.support import (  # noqa: F401 - fixtures
    api,
    api_user,
    base,
    client_for,
    consent_body,
    make_api_user,
    recent,
)

pytestmark = pytest.mark.django_db


def codes(response) -> list[str]:
    return [e["code"] for e in response.json()["errors"]]


@pytest.fixture
def stored(api, base, brand, provider):
    """One address per reason, on MESAJ."""
    assert api.post(base + "/consents", consent_body("+905300000001")).status_code == 200  # ONAY
    factories.DeclarationPeriodFactory(tier=provider.tier)
    declared = consent_body("+905300000002", source="HS_2015", consentDate="2015-05-01 00:00:00")
    assert api.post(base + "/consents", declared).status_code == 200  # ONAY under review
    moment = timezone.now() - dt.timedelta(minutes=5)
    consent_reject_by_citizen(  # the citizen's RET, for both recipient types
        brand=brand, recipient="+905300000003", channel="MESAJ", source="IYS_KISAMESAJ",
        actor=Actor.citizen(None, "SMS"), via=Via.SMS, now=moment,
    )
    assert api.post(base + "/consents", consent_body("+905300000004", consentDate=recent(hours=3))).status_code == 200
    r = api.post(base + "/consents", consent_body("+905300000004", status="RET", source="HS_KARAR"))
    assert r.status_code == 200  # the provider's own RET
    return moment


def _ask(api, base, recipient, recipient_type=None, channel="MESAJ"):
    body = {"recipient": recipient, "type": channel}
    if recipient_type:
        body["recipientType"] = recipient_type
    r = api.post(base + "/may-send", body)
    assert r.status_code == 200, r.content
    return r.json()


def test_one_recipient_answers_allowed_with_the_reason(api, base, stored):
    rejected_at = timezone.localtime(stored).strftime("%Y-%m-%d %H:%M:%S")
    onay = _ask(api, base, "0530 000 00 01")
    assert onay == {
        "recipient": "+905300000001", "recipientType": "BIREYSEL", "type": "MESAJ", "allowed": True, "reason": "ONAY",
        "status": "ONAY", "message": onay["message"],
    }
    review = _ask(api, base, "+905300000002")
    assert (review["allowed"], review["reason"], review["status"]) == (True, "UNDER_REVIEW", "ONAY")
    assert review["reviewUntil"] and review["reviewUntil"] in review["message"]
    for recipient_type in ("BIREYSEL", "TACIR"):
        rejected = _ask(api, base, "+905300000003", recipient_type)
        assert (rejected["allowed"], rejected["reason"], rejected["status"]) == (False, "CITIZEN_REJECTED", "RET")
        assert rejected["rejectedAt"] == rejected_at and rejected_at in rejected["message"]
    ret = _ask(api, base, "+905300000004")
    assert (ret["allowed"], ret["reason"], ret["status"]) == (False, "RET", "RET") and "rejectedAt" not in ret
    nothing = _ask(api, base, "+905300000009")
    assert (nothing["allowed"], nothing["reason"]) == (False, "NO_RECORD") and "status" not in nothing
    tacir = _ask(api, base, "+905300000009", "TACIR")
    assert (tacir["allowed"], tacir["reason"], tacir["recipientType"]) == (True, "TACIR_NO_RECORD", "TACIR")
    # A TACIR record with ONAY is an ONAY; another channel of the same address has no record.
    assert _ask(api, base, "+905300000001", channel="ARAMA")["reason"] == "NO_RECORD"


def test_up_to_1000_recipients_in_the_order_sent(api, base, stored):
    recipients = ["+905300000003", "0530 000 00 01", "+905300000002", "+905300000004"]
    recipients += [f"+9053{i:08d}" for i in range(100, 1096)]
    assert len(recipients) == 1000
    r = api.post(base + "/may-send/list", {"recipients": recipients, "type": "MESAJ"})  # BIREYSEL by default
    assert r.status_code == 200, r.content
    rows = r.json()["list"]
    assert [row["recipient"] for row in rows][:4] == ["+905300000003", "+905300000001", "+905300000002", "+905300000004"]
    assert [(row["allowed"], row["reason"]) for row in rows[:4]] == [
        (False, "CITIZEN_REJECTED"), (True, "ONAY"), (True, "UNDER_REVIEW"), (False, "RET"),
    ]
    assert len(rows) == 1000 and {row["reason"] for row in rows[4:]} == {"NO_RECORD"}
    assert r.json()["requestId"]
    # As TACIR: only the citizen's rejection (stored for both types) forbids; the rest have no TACIR record.
    r = api.post(base + "/may-send/list", {"recipients": recipients[:4], "recipientType": "TACIR", "type": "MESAJ"})
    assert [(row["allowed"], row["reason"]) for row in r.json()["list"]] == [
        (False, "CITIZEN_REJECTED"), (True, "TACIR_NO_RECORD"), (True, "TACIR_NO_RECORD"), (True, "TACIR_NO_RECORD"),
    ]


def test_list_reports_every_bad_item_at_once_and_its_limits(api, base):
    r = api.post(base + "/may-send/list", {"recipients": ["+905300000001", "merhaba", "05300000001", "a@bb.co"],
                                           "type": "MESAJ"})
    assert r.status_code == 422
    assert [(e["code"], e["location"]) for e in r.json()["errors"]] == [
        ("H121", ["recipients", 1]), ("H193", ["recipients", 2]), ("H464", ["recipients", 3]),
    ]
    assert codes(api.post(base + "/may-send/list", {"recipients": [], "type": "MESAJ"})) == ["H164"]
    too_many = [f"+9053{i:08d}" for i in range(1001)]
    assert codes(api.post(base + "/may-send/list", {"recipients": too_many, "type": "MESAJ"})) == ["H125"]
    assert codes(api.post(base + "/may-send", {"recipient": "+905300000001", "type": "MESAJ",
                                               "recipientType": "KURUM"})) == ["H116"]
    assert codes(api.post(base + "/may-send", {"recipient": "a@bb.co", "type": "MESAJ"})) == ["H464"]


def test_scoped_like_the_status_endpoints(stored, provider, brand, base):
    intermediary = factories.IntermediaryFactory()
    factories.IntermediaryAuthorizationFactory(intermediary=intermediary, brand=brand, channel="MESAJ")
    sender = client_for(make_api_user(intermediary=intermediary))
    assert _ask(sender, base, "+905300000001")["allowed"] is True
    assert codes(sender.post(base + "/may-send", {"recipient": "+905300000001", "type": "ARAMA"})) == ["H353"]
    r = sender.post(base + "/may-send/list", {"recipients": ["+905300000001"], "type": "ARAMA"})
    assert codes(r) == ["H353"]
    other_brand = factories.BrandFactory(provider=provider)
    assert codes(sender.post(f"/sps/{provider.iys_code}/brands/{other_brand.brand_code}/may-send",
                             {"recipient": "+905300000001", "type": "MESAJ"})) == ["H353"]
    stranger = client_for(make_api_user(provider=factories.ProviderFactory()))
    assert codes(stranger.post(base + "/may-send", {"recipient": "+905300000001", "type": "MESAJ"})) == ["H353"]


def test_in_the_openapi_document(api):
    document = api.client.get("/api/openapi.json").json()
    paths = document["paths"]
    assert "post" in paths["/api/sps/{iysCode}/brands/{brandCode}/may-send"]
    assert "post" in paths["/api/sps/{iysCode}/brands/{brandCode}/may-send/list"]
    reason = document["components"]["schemas"]["MaySendOut"]["properties"]["reason"]
    assert set(reason["enum"]) == {"ONAY", "UNDER_REVIEW", "TACIR_NO_RECORD", "CITIZEN_REJECTED", "RET", "NO_RECORD"}


def test_under_review_without_the_api_says_the_same(brand, provider, provider_actor):
    # The selector behind the endpoint, for a declared TACIR ONAY: allowed, under review.
    factories.DeclarationPeriodFactory(tier=provider.tier)
    consent_record(
        brand=brand, recipient="+905300000005", recipient_type="TACIR", channel="MESAJ", status="ONAY",
        source="HS_2015", consent_date="2015-05-01 00:00:00", actor=provider_actor, via=Via.WEB,
    )
    answer = can_send(brand=brand, recipient="+905300000005", recipient_type="TACIR", channel="MESAJ")
    assert answer.allowed and answer.reason.value == "UNDER_REVIEW" and answer.review_until is not None
