"""Rejection by call: the rejection line's signed webhook, the keys it understands, the rows and what it says."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import json
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from citizens.optout.inbound_call import CallOutcome, parse_digits
from citizens.telephony import CallReply, get_backend
from citizens.telephony.backends import locmem
from consents.models import ActorKind, Consent, ConsentEvent, RecipientType, Source, Status, Via
from consents.selectors import can_send
from consents.services import consent_record
from providers.models import Channel

PHONE = "+905321234567"
SECRET = "test-call-secret"


@pytest.fixture(autouse=True)
def _clear_call_outbox():
    locmem.outbox.clear()


def _post(client, data, *, secret: str = SECRET, timestamp: int | None = None, body: bytes | None = None):
    raw = body if body is not None else json.dumps(data).encode()
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = hmac.new(secret.encode(), stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    return client.post(
        reverse("optout:call_inbound"), raw, content_type="application/json",
        headers={"X-Ileti-Timestamp": stamp, "X-Ileti-Signature": f"sha256={signature}"},
    )


def _onay(brand, actor, channel, recipient_type=RecipientType.BIREYSEL):
    return consent_record(
        brand=brand, recipient=PHONE, recipient_type=recipient_type, channel=channel, status=Status.ONAY,
        source=Source.HS_CAGRI_MERKEZI, consent_date=timezone.now() - dt.timedelta(hours=1), actor=actor,
        via=Via.WEB,
    ).consent


@pytest.mark.parametrize(
    ("digits", "expected"),
    [
        ("700001", (None, 700001)),
        ("700001#", (None, 700001)),
        (" 7000 01 ", (None, 700001)),
        ("", (CallOutcome.MISSING_CODE, None)),
        ("#", (CallOutcome.MISSING_CODE, None)),
        ("70a001", (CallOutcome.UNPARSEABLE, None)),
        ("0", (CallOutcome.UNPARSEABLE, None)),
        ("７００００１", (CallOutcome.UNPARSEABLE, None)),  # a keypad sends ASCII digits only
        ("9" * 20, (CallOutcome.UNPARSEABLE, None)),
    ],
)
def test_keys(digits, expected):
    assert parse_digits(digits) == expected


@pytest.mark.django_db
def test_a_call_rejects_arama_only_with_the_call_centre_source_and_says_so(client, brand, provider_actor):
    call = _onay(brand, provider_actor, Channel.ARAMA)
    sms = _onay(brand, provider_actor, Channel.MESAJ)
    response = _post(client, {"from": "0532 123 45 67", "digits": f"{brand.brand_code}#", "callId": "c-1"})
    assert response.status_code == 200
    body = response.json()
    assert body["outcome"] == "rejected" and body["hangup"] is True and body["callId"] == "c-1"
    assert brand.name in body["say"] and "reddedildi" in body["say"]
    call.refresh_from_db()
    sms.refresh_from_db()
    assert (call.status, call.source) == (Status.RET, Source.IYS_CM)
    assert sms.status == Status.ONAY
    event = ConsentEvent.objects.filter(consent=call).latest("id")
    assert (event.source, event.via, event.actor_kind, event.previous_status) == (
        Source.IYS_CM, Via.CALL, ActorKind.CITIZEN, Status.ONAY,
    )
    assert locmem.outbox == [
        CallReply(call_id="c-1", to=PHONE, say=body["say"], outcome="rejected", hangup=True)
    ]
    # Calling again changes nothing more and says so.
    again = _post(client, {"from": PHONE, "digits": str(brand.brand_code)}).json()
    assert again["outcome"] == "already_rejected" and "zaten" in again["say"]
    assert ConsentEvent.objects.filter(consent=call, status=Status.RET).count() == 1


@pytest.mark.django_db
def test_a_caller_without_a_record_is_rejected_too(client, brand):
    _post(client, {"from": PHONE, "digits": str(brand.brand_code)})
    rows = Consent.objects.filter(brand=brand, recipient=PHONE)
    assert {(c.channel, c.status, c.source) for c in rows} == {(Channel.ARAMA, Status.RET, Source.IYS_CM)}
    # For every recipient type (rule 9, issue 10): the brand may not call as TACIR either.
    assert sorted(c.recipient_type for c in rows) == [RecipientType.BIREYSEL, RecipientType.TACIR]
    for recipient_type in RecipientType.values:
        assert not can_send(brand=brand, recipient=PHONE, recipient_type=recipient_type, channel="ARAMA").allowed


@pytest.mark.django_db
def test_unknown_brand_or_no_keys_change_nothing_and_explain(client, brand, provider_actor):
    call = _onay(brand, provider_actor, Channel.ARAMA)
    unknown = _post(client, {"from": PHONE, "digits": "123"}).json()
    assert unknown["outcome"] == "unknown_brand" and "1 2 3 kodlu bir marka bulunamadı" in unknown["say"]
    assert _post(client, {"from": PHONE, "digits": ""}).json()["outcome"] == "missing_code"
    call.refresh_from_db()
    assert call.status == Status.ONAY and ConsentEvent.objects.count() == 1


@pytest.mark.django_db
def test_unsigned_stale_or_altered_calls_are_refused(client, brand, provider_actor, settings):
    call = _onay(brand, provider_actor, Channel.ARAMA)
    data = {"from": PHONE, "digits": str(brand.brand_code)}
    assert _post(client, data, secret="wrong").status_code == 403
    assert _post(client, data, timestamp=int(time.time()) - 301).status_code == 403  # older than 5 minutes
    assert _post(client, data, timestamp=int(time.time()) + 301).status_code == 403
    response = client.post(reverse("optout:call_inbound"), json.dumps(data), content_type="application/json")
    assert response.status_code == 403
    # A signature over another body does not carry over.
    stamp = str(int(time.time()))
    other = hmac.new(SECRET.encode(), stamp.encode() + b"." + b"{}", hashlib.sha256).hexdigest()
    response = client.post(
        reverse("optout:call_inbound"), json.dumps(data), content_type="application/json",
        headers={"X-Ileti-Timestamp": stamp, "X-Ileti-Signature": f"sha256={other}"},
    )
    assert response.status_code == 403
    settings.CALL_INBOUND_SECRET = ""  # unset: the line is closed, not open to anyone
    assert _post(client, data, secret="").status_code == 403
    call.refresh_from_db()
    assert call.status == Status.ONAY
    settings.CALL_INBOUND_SECRET = SECRET
    assert _post(client, {"from": "not a phone", "digits": "1"}).status_code == 400
    assert _post(client, None, body=b"[1, 2]").status_code == 400


def test_console_backend_prints_what_the_line_says():
    stream = io.StringIO()
    backend = get_backend("citizens.telephony.backends.console.TelephonyBackend", stream=stream)
    response = backend.respond(CallReply(call_id="c-9", to=PHONE, say="Merhaba", outcome="rejected"))
    assert "--- call c-9 from +905321234567 (rejected) ---\nMerhaba" in stream.getvalue()
    assert json.loads(response.content)["say"] == "Merhaba"
