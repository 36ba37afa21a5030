"""Rejection by SMS: the grammar (pure), the gateway's shared secret, and the rows and replies it makes."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from citizens.optout.inbound_sms import InboundCommand, InboundKind, parse_inbound
from consents.models import ActorKind, Consent, ConsentEvent, RecipientType, Source, Status, Via
from consents.selectors import can_send
from consents.services import consent_record
from providers.models import Channel
from tests import factories

PHONE = "+905321234567"
SECRET = "test-inbound-secret"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("RET 700001", InboundCommand(InboundKind.REJECT, 700001)),
        ("ret 700001", InboundCommand(InboundKind.REJECT, 700001)),
        ("RET700001", InboundCommand(InboundKind.REJECT, 700001)),
        (" Ret  700001 ", InboundCommand(InboundKind.REJECT, 700001)),
        ("rEt\t700001\n", InboundCommand(InboundKind.REJECT, 700001)),
        ("RET: 700001", InboundCommand(InboundKind.REJECT, 700001)),
        ("RET-700001.", InboundCommand(InboundKind.REJECT, 700001)),
        ("İPTAL 700001", InboundCommand(InboundKind.REJECT, 700001)),
        ("IPTAL 700001", InboundCommand(InboundKind.REJECT, 700001)),
        ("ıptal 700001", InboundCommand(InboundKind.REJECT, 700001)),
        ("iptal700001", InboundCommand(InboundKind.REJECT, 700001)),
        ("İptal 700001", InboundCommand(InboundKind.REJECT, 700001)),
        ("RET ７００００１", InboundCommand(InboundKind.REJECT, 700001)),  # full-width digits
        ("RET\u00a0700001", InboundCommand(InboundKind.REJECT, 700001)),  # non-breaking space
        ("\ufeffRET 700001", InboundCommand(InboundKind.REJECT, 700001)),  # byte-order mark from a phone
        ("RET", InboundCommand(InboundKind.MISSING_CODE)),
        ("  ıptal ", InboundCommand(InboundKind.MISSING_CODE)),
        ("", InboundCommand(InboundKind.UNPARSEABLE)),
        ("merhaba", InboundCommand(InboundKind.UNPARSEABLE)),
        ("RED 700001", InboundCommand(InboundKind.UNPARSEABLE)),
        ("RET 700001 700002", InboundCommand(InboundKind.UNPARSEABLE)),
        ("RET ABC", InboundCommand(InboundKind.UNPARSEABLE)),
        ("RET 700001 lütfen", InboundCommand(InboundKind.UNPARSEABLE)),
        ("700001 RET", InboundCommand(InboundKind.UNPARSEABLE)),
        ("RET 0", InboundCommand(InboundKind.UNPARSEABLE)),
        ("RET 99999999999999999999", InboundCommand(InboundKind.UNPARSEABLE)),
        ("RETT 700001", InboundCommand(InboundKind.UNPARSEABLE)),
    ],
)
def test_grammar(text, expected):
    assert parse_inbound(text) == expected


def _onay(brand, actor, channel, recipient_type=RecipientType.BIREYSEL):
    return consent_record(
        brand=brand, recipient=PHONE, recipient_type=recipient_type, channel=channel, status=Status.ONAY,
        source=Source.HS_MESAJ, consent_date=timezone.now() - dt.timedelta(hours=1), actor=actor, via=Via.WEB,
    ).consent


def _post(client, data, secret: str | None = SECRET, as_json: bool = False):
    headers = {} if secret is None else {"X-Ileti-Secret": secret}
    url = reverse("optout:sms_inbound")
    if as_json:
        return client.post(url, json.dumps(data), content_type="application/json", headers=headers)
    return client.post(url, data, headers=headers)


@pytest.mark.django_db
def test_valid_message_rejects_mesaj_only_with_kisamesaj_source_and_replies(client, brand, provider_actor, sms_outbox):
    sms = _onay(brand, provider_actor, Channel.MESAJ)
    call = _onay(brand, provider_actor, Channel.ARAMA)
    response = _post(client, {"from": "0532 123 45 67", "text": f" ret  {brand.brand_code} "})
    assert response.status_code == 200
    assert response.json()["outcome"] == "rejected" and response.json()["reply_sent"] is True
    sms.refresh_from_db()
    call.refresh_from_db()
    assert (sms.status, sms.source) == (Status.RET, Source.IYS_KISAMESAJ)
    assert call.status == Status.ONAY
    event = ConsentEvent.objects.filter(consent=sms).latest("id")
    assert (event.source, event.via, event.actor_kind, event.previous_status) == (
        Source.IYS_KISAMESAJ, Via.SMS, ActorKind.CITIZEN, Status.ONAY,
    )
    assert len(sms_outbox) == 1
    assert sms_outbox[0].to == PHONE and brand.name in sms_outbox[0].body and "reddedildi" in sms_outbox[0].body


@pytest.mark.django_db
def test_json_body_is_accepted_too(client, brand, provider_actor):
    sms = _onay(brand, provider_actor, Channel.MESAJ)
    response = _post(client, {"from": "905321234567", "text": f"İPTAL {brand.brand_code}"}, as_json=True)
    assert response.status_code == 200
    sms.refresh_from_db()
    assert sms.status == Status.RET


@pytest.mark.django_db
def test_repeated_message_changes_nothing_more_and_says_so(client, brand, provider_actor, sms_outbox):
    sms = _onay(brand, provider_actor, Channel.MESAJ)
    _post(client, {"from": PHONE, "text": f"RET {brand.brand_code}"})
    response = _post(client, {"from": PHONE, "text": f"RET{brand.brand_code}"})
    assert response.json()["outcome"] == "already_rejected"
    assert ConsentEvent.objects.filter(consent=sms, status=Status.RET).count() == 1
    assert "zaten" in sms_outbox[-1].body


@pytest.mark.django_db
def test_sender_without_a_record_gets_a_rejection_for_every_recipient_type(client, brand):
    # Issue 10 changed this: a BIREYSEL RET alone let the brand go on messaging the address as TACIR.
    _post(client, {"from": PHONE, "text": f"RET {brand.brand_code}"})
    rows = Consent.objects.filter(brand=brand, recipient=PHONE).order_by("recipient_type")
    assert [(c.channel, c.recipient_type, c.status, c.source) for c in rows] == [
        (Channel.MESAJ, RecipientType.BIREYSEL, Status.RET, Source.IYS_KISAMESAJ),
        (Channel.MESAJ, RecipientType.TACIR, Status.RET, Source.IYS_KISAMESAJ),
    ]
    for recipient_type in RecipientType.values:
        assert not can_send(brand=brand, recipient=PHONE, recipient_type=recipient_type, channel="MESAJ").allowed


@pytest.mark.django_db
def test_tacir_record_of_the_sender_is_rejected_and_a_bireysel_one_added(client, brand, provider_actor):
    _onay(brand, provider_actor, Channel.MESAJ, RecipientType.TACIR)
    _post(client, {"from": PHONE, "text": f"RET {brand.brand_code}"})
    assert sorted(Consent.objects.filter(recipient=PHONE).values_list("recipient_type", "status")) == [
        (RecipientType.BIREYSEL, Status.RET), (RecipientType.TACIR, Status.RET),
    ]
    assert not can_send(brand=brand, recipient=PHONE, recipient_type="TACIR", channel="MESAJ").allowed


@pytest.mark.django_db
def test_unknown_brand_gets_a_helpful_reply_and_changes_nothing(client, brand, provider_actor, sms_outbox):
    sms = _onay(brand, provider_actor, Channel.MESAJ)
    response = _post(client, {"from": PHONE, "text": "RET 123"})
    assert response.status_code == 200 and response.json()["outcome"] == "unknown_brand"
    assert len(sms_outbox) == 1 and sms_outbox[0].to == PHONE
    assert "123 kodlu bir marka bulunamadı" in sms_outbox[0].body and "RET 700001" in sms_outbox[0].body
    sms.refresh_from_db()
    assert sms.status == Status.ONAY
    assert ConsentEvent.objects.count() == 1


@pytest.mark.django_db
def test_inactive_brand_is_treated_as_unknown(client, brand):
    brand.is_active = False
    brand.save(update_fields=["is_active"])
    response = _post(client, {"from": PHONE, "text": f"RET {brand.brand_code}"})
    assert response.json()["outcome"] == "unknown_brand"
    assert not Consent.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("text", "outcome"), [("merhaba", "unparseable"), ("RET", "missing_code"), ("", "unparseable")])
def test_unparseable_message_gets_how_to_write_it(client, brand, sms_outbox, text, outcome):
    response = _post(client, {"from": PHONE, "text": text})
    assert response.status_code == 200 and response.json()["outcome"] == outcome
    assert "RET boşluk marka kodu" in sms_outbox[-1].body
    assert not Consent.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x", SECRET.upper()])
def test_missing_or_wrong_secret_is_403_and_changes_nothing(client, brand, provider_actor, sms_outbox, secret):
    sms = _onay(brand, provider_actor, Channel.MESAJ)
    response = _post(client, {"from": PHONE, "text": f"RET {brand.brand_code}"}, secret=secret)
    assert response.status_code == 403
    sms.refresh_from_db()
    assert sms.status == Status.ONAY and sms_outbox == []


@pytest.mark.django_db
def test_endpoint_is_closed_when_no_secret_is_configured(client, brand, settings):
    settings.SMS_INBOUND_SECRET = ""
    response = _post(client, {"from": PHONE, "text": f"RET {brand.brand_code}"}, secret="")
    assert response.status_code == 403
    assert not Consent.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("sender", ["", "ayse@example.com", "12ab"])
def test_sender_that_is_not_a_phone_is_400(client, brand, sms_outbox, sender):
    response = _post(client, {"from": sender, "text": f"RET {brand.brand_code}"})
    assert response.status_code == 400
    assert not Consent.objects.exists() and sms_outbox == []


@pytest.mark.django_db
def test_get_is_not_allowed(client):
    assert client.get(reverse("optout:sms_inbound"), headers={"X-Ileti-Secret": SECRET}).status_code == 405


@pytest.mark.django_db
def test_message_for_one_brand_leaves_other_brands_alone(client, brand, provider_actor):
    other = factories.BrandFactory(provider=brand.provider)
    mine = _onay(brand, provider_actor, Channel.MESAJ)
    theirs = _onay(other, provider_actor, Channel.MESAJ)
    _post(client, {"from": PHONE, "text": f"ret {brand.brand_code}"})
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.status, theirs.status) == (Status.RET, Status.ONAY)


@pytest.mark.django_db
def test_failed_reply_keeps_the_rejection(client, brand, provider_actor, settings):
    settings.SMS_BACKEND = "tests.citizens.optout.test_inbound_sms.FailingBackend"
    sms = _onay(brand, provider_actor, Channel.MESAJ)
    response = _post(client, {"from": PHONE, "text": f"RET {brand.brand_code}"})
    assert response.status_code == 200 and response.json()["reply_sent"] is False
    sms.refresh_from_db()
    assert sms.status == Status.RET


class FailingBackend:
    """An SMS gateway that is down (the only 'outside world' this test replaces)."""

    def __init__(self, **kwargs: object) -> None:
        pass

    def send_messages(self, messages):
        from citizens.sms import SmsSendError

        raise SmsSendError("gateway down")
