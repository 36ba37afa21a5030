"""The brand's public opt-out page: address → code (from the SMS/e-mail outbox) → channels → RET."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from citizens.models import Citizen, CitizenAddress, OneTimeCode, OtpPurpose
from consents.models import ActorKind, Consent, ConsentEvent, RecipientType, Source, Status, Via
from consents.selectors import can_send
from consents.services import consent_record
from providers.models import Channel

from ..conftest import last_sms_code

pytestmark = pytest.mark.django_db
PHONE = "+905321234567"
EMAIL = "ayse@example.com"


def _onay(brand, actor, recipient, channel):
    return consent_record(
        brand=brand, recipient=recipient, recipient_type=RecipientType.BIREYSEL, channel=channel,
        status=Status.ONAY, source=Source.HS_WEB, consent_date=timezone.now() - dt.timedelta(hours=1), actor=actor, via=Via.WEB,
    ).consent


def _urls(brand):
    code = brand.brand_code
    return (
        reverse("optout:brand", args=[code]), reverse("optout:code", args=[code]),
        reverse("optout:channels", args=[code]), reverse("optout:done", args=[code]),
    )


def test_phone_flow_rejects_the_chosen_channel_with_frame_sms(client, brand, provider_actor, sms_outbox):
    sms = _onay(brand, provider_actor, PHONE, Channel.MESAJ)
    call = _onay(brand, provider_actor, PHONE, Channel.ARAMA)
    start, code_url, channels_url, done_url = _urls(brand)

    page = client.get(start)
    assert page.status_code == 200 and brand.name in page.content.decode()
    response = client.post(start, {"address": "0532 123 45 67"})
    assert response.status_code == 302 and response["Location"] == code_url
    assert OneTimeCode.objects.get(address=PHONE).purpose == OtpPurpose.OPTOUT
    assert sms_outbox[-1].to == PHONE

    response = client.post(code_url, {"code": last_sms_code(PHONE)})
    assert response.status_code == 302 and response["Location"] == channels_url
    page = client.get(channels_url)
    assert "SMS (kısa mesaj)" in page.content.decode() and "Sesli arama" in page.content.decode()

    response = client.post(channels_url, {"channels": [Channel.MESAJ]})
    assert response.status_code == 302 and response["Location"] == done_url
    done = client.get(done_url).content.decode()
    assert "Ret kaydınız alındı" in done and "SMS (kısa mesaj)" in done

    sms.refresh_from_db()
    call.refresh_from_db()
    assert (sms.status, sms.source) == (Status.RET, Source.IYS_FRAME_SMS)
    assert call.status == Status.ONAY
    event = ConsentEvent.objects.filter(consent=sms).latest("id")
    assert (event.source, event.via, event.actor_kind, event.previous_status) == (
        Source.IYS_FRAME_SMS, Via.OPTOUT_LINK, ActorKind.CITIZEN, Status.ONAY,
    )


def test_email_flow_uses_the_email_code_and_frame_eposta(client, brand, provider_actor):
    consent = _onay(brand, provider_actor, EMAIL, Channel.EPOSTA)
    start, code_url, channels_url, _ = _urls(brand)
    client.post(start, {"address": "Ayse@Example.com"})
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    client.post(code_url, {"code": code})
    page = client.get(channels_url).content.decode()
    assert "E-posta" in page and "Sesli arama" not in page
    client.post(channels_url, {"channels": [Channel.EPOSTA]})
    consent.refresh_from_db()
    assert (consent.status, consent.source) == (Status.RET, Source.IYS_FRAME_EPOSTA)


def test_owning_citizen_is_named_on_the_history_row(client, brand, provider_actor):
    citizen = Citizen.objects.create()
    CitizenAddress.objects.create(citizen=citizen, value=PHONE, kind="phone", verified_at=timezone.now())
    sms = _onay(brand, provider_actor, PHONE, Channel.MESAJ)
    start, code_url, channels_url, _ = _urls(brand)
    client.post(start, {"address": PHONE})
    client.post(code_url, {"code": last_sms_code(PHONE)})
    client.post(channels_url, {"channels": [Channel.MESAJ]})
    event = ConsentEvent.objects.filter(consent=sms).latest("id")
    assert event.actor_ref == str(citizen.pk)
    assert PHONE not in event.actor_label


def test_wrong_code_is_refused_and_channels_stay_locked(client, brand, provider_actor):
    sms = _onay(brand, provider_actor, PHONE, Channel.MESAJ)
    start, code_url, channels_url, _ = _urls(brand)
    client.post(start, {"address": PHONE})
    right = last_sms_code(PHONE)
    wrong = "000000" if right != "000000" else "111111"
    response = client.post(code_url, {"code": wrong})
    assert response.status_code == 200 and "Kod hatalı" in response.content.decode()
    # Skipping the code step does not work: the channel page sends the visitor back to the start.
    response = client.post(channels_url, {"channels": [Channel.MESAJ]})
    assert response.status_code == 302 and response["Location"] == start
    sms.refresh_from_db()
    assert sms.status == Status.ONAY


def test_code_of_another_purpose_does_not_open_the_optout_page(client, brand, provider_actor):
    from citizens.otp import otp_send

    sms = _onay(brand, provider_actor, PHONE, Channel.MESAJ)
    start, code_url, channels_url, _ = _urls(brand)
    client.post(start, {"address": PHONE})
    otp_send(address=PHONE, purpose=OtpPurpose.SIGN_IN, client_ip=None)
    sign_in_code = last_sms_code(PHONE)
    response = client.post(code_url, {"code": sign_in_code})
    assert response.status_code == 200
    assert client.post(channels_url, {"channels": [Channel.MESAJ]}).status_code == 302
    sms.refresh_from_db()
    assert sms.status == Status.ONAY


def test_verification_is_bound_to_the_brand_of_the_page(client, brand, provider_actor):
    from tests import factories

    other = factories.BrandFactory()
    theirs = _onay(other, provider_actor, PHONE, Channel.MESAJ)
    start, code_url, _, _ = _urls(brand)
    client.post(start, {"address": PHONE})
    client.post(code_url, {"code": last_sms_code(PHONE)})
    other_channels = reverse("optout:channels", args=[other.brand_code])
    response = client.post(other_channels, {"channels": [Channel.MESAJ]})
    assert response.status_code == 302
    theirs.refresh_from_db()
    assert theirs.status == Status.ONAY


def test_verification_expires_after_fifteen_minutes(client, brand, provider_actor, monkeypatch):
    sms = _onay(brand, provider_actor, PHONE, Channel.MESAJ)
    start, code_url, channels_url, _ = _urls(brand)
    client.post(start, {"address": PHONE})
    client.post(code_url, {"code": last_sms_code(PHONE)})
    later = timezone.now() + dt.timedelta(minutes=16)
    monkeypatch.setattr("citizens.optout.views.timezone.now", lambda: later)
    response = client.post(channels_url, {"channels": [Channel.MESAJ]})
    assert response.status_code == 302 and response["Location"] == start
    sms.refresh_from_db()
    assert sms.status == Status.ONAY


def test_invalid_address_gets_a_specific_message_and_sends_nothing(client, brand, sms_outbox):
    start = _urls(brand)[0]
    response = client.post(start, {"address": "12ab"})
    assert response.status_code == 200
    assert "Geçerli bir telefon numarası" in response.content.decode()
    assert sms_outbox == [] and not OneTimeCode.objects.exists()


def test_rate_limit_is_reported_on_the_page(client, brand, settings):
    settings.OTP_RATE_PER_ADDRESS = 2
    start = _urls(brand)[0]
    for _ in range(2):
        assert client.post(start, {"address": PHONE}).status_code == 302
    response = client.post(start, {"address": PHONE})
    assert response.status_code == 200 and "çok fazla kod" in response.content.decode()


def test_unknown_or_inactive_brand_page_is_404(client, brand):
    assert client.get(reverse("optout:brand", args=[999999])).status_code == 404
    brand.is_active = False
    brand.save(update_fields=["is_active"])
    assert client.get(reverse("optout:brand", args=[brand.brand_code])).status_code == 404


def test_no_record_gets_a_rejection_for_every_recipient_type_so_the_brand_cannot_start_without_fresh_consent(
    client, brand
):
    # Issue 10 changed this: the page stored a BIREYSEL RET only, and the brand could message as TACIR.
    start, code_url, channels_url, _ = _urls(brand)
    client.post(start, {"address": PHONE})
    client.post(code_url, {"code": last_sms_code(PHONE)})
    client.post(channels_url, {"channels": [Channel.MESAJ, Channel.ARAMA]})
    rows = set(
        Consent.objects.filter(brand=brand, recipient=PHONE).values_list("channel", "recipient_type", "status", "source")
    )
    assert rows == {
        (channel, recipient_type, Status.RET, Source.IYS_FRAME_SMS)
        for channel in (Channel.MESAJ, Channel.ARAMA)
        for recipient_type in (RecipientType.BIREYSEL, RecipientType.TACIR)
    }
    for channel in (Channel.MESAJ, Channel.ARAMA):
        assert not can_send(brand=brand, recipient=PHONE, recipient_type="TACIR", channel=channel).allowed


def test_phone_page_refuses_an_email_channel(client, brand):
    start, code_url, channels_url, _ = _urls(brand)
    client.post(start, {"address": PHONE})
    client.post(code_url, {"code": last_sms_code(PHONE)})
    response = client.post(channels_url, {"channels": [Channel.EPOSTA]})
    assert response.status_code == 200
    assert not Consent.objects.exists()
