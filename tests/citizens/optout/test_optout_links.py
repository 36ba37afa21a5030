"""Signed per-recipient opt-out links: confirmation on GET, rejection on POST, RFC 8058 one-click."""
from __future__ import annotations

import datetime as dt
import time

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from citizens.optout.services import (
    OPTOUT_LINK_SALT,
    OptoutLinkExpired,
    OptoutLinkTampered,
    optout_link_for,
    optout_read_token,
    optout_token_for,
)
from consents.models import ActorKind, Consent, ConsentEvent, RecipientType, Source, Status, Via
from consents.selectors import can_send
from consents.services import consent_record
from providers.models import Channel
from tests import factories

pytestmark = pytest.mark.django_db
EMAIL = "ayse@example.com"
PHONE = "+905321234567"


def _onay(brand, provider_actor, recipient, channel, recipient_type=RecipientType.BIREYSEL):
    return consent_record(
        brand=brand, recipient=recipient, recipient_type=recipient_type, channel=channel, status=Status.ONAY,
        source=Source.HS_WEB, consent_date=timezone.now() - dt.timedelta(hours=1), actor=provider_actor, via=Via.WEB,
        now=None,
    )


@pytest.fixture
def onay_email(brand, provider_actor):
    return _onay(brand, provider_actor, EMAIL, Channel.EPOSTA).consent


def _path(token: str) -> str:
    return reverse("optout:link", kwargs={"token": token})


def test_link_is_absolute_on_site_url_and_carries_brand_recipient_and_channels(settings, brand):
    settings.SITE_URL = "https://ileti.example.tr/"
    link = optout_link_for(brand=brand, recipient="Ayse@Example.com", channels=[Channel.EPOSTA])
    assert link.startswith("https://ileti.example.tr/ret/b/")
    token = link.rstrip("/").rsplit("/", 1)[1]
    claim = optout_read_token(token)
    assert claim.brand == brand and claim.recipient.value == EMAIL and claim.channels == (Channel.EPOSTA,)


def test_phone_link_defaults_to_both_phone_channels_and_refuses_an_email_channel(brand):
    claim = optout_read_token(optout_token_for(brand=brand, recipient="0532 123 45 67"))
    assert claim.channels == (Channel.MESAJ, Channel.ARAMA)
    with pytest.raises(ValueError):
        optout_token_for(brand=brand, recipient=PHONE, channels=[Channel.EPOSTA])


def test_get_shows_a_confirmation_and_changes_nothing(client, brand, onay_email):
    token = optout_token_for(brand=brand, recipient=EMAIL)
    response = client.get(_path(token))
    assert response.status_code == 200
    assert brand.name in response.content.decode()
    assert "a***@example.com" in response.content.decode()
    onay_email.refresh_from_db()
    assert onay_email.status == Status.ONAY
    assert ConsentEvent.objects.filter(status=Status.RET).count() == 0


def test_confirmation_post_rejects_with_frame_eposta_source(client, brand, onay_email):
    token = optout_token_for(brand=brand, recipient=EMAIL)
    response = client.post(_path(token), {"channels": [Channel.EPOSTA], "confirm": "1"})
    assert response.status_code == 200
    assert "Ret kaydınız alındı" in response.content.decode()
    onay_email.refresh_from_db()
    assert (onay_email.status, onay_email.source) == (Status.RET, Source.IYS_FRAME_EPOSTA)
    event = ConsentEvent.objects.filter(consent=onay_email).latest("id")
    assert (event.status, event.previous_status, event.source) == (Status.RET, Status.ONAY, Source.IYS_FRAME_EPOSTA)
    assert (event.via, event.actor_kind, event.actor_ref) == (Via.OPTOUT_LINK, ActorKind.CITIZEN, "")


def test_confirmation_post_without_a_channel_is_refused_with_a_message(client, brand, onay_email):
    token = optout_token_for(brand=brand, recipient=EMAIL)
    response = client.post(_path(token), {"confirm": "1"})
    assert response.status_code == 200
    assert "En az bir kanal seçin" in response.content.decode()
    onay_email.refresh_from_db()
    assert onay_email.status == Status.ONAY


def test_confirmation_post_cannot_widen_the_channels_of_the_link(client, brand, provider_actor):
    sms = _onay(brand, provider_actor, PHONE, Channel.MESAJ).consent
    call = _onay(brand, provider_actor, PHONE, Channel.ARAMA).consent
    token = optout_token_for(brand=brand, recipient=PHONE, channels=[Channel.MESAJ])
    response = client.post(_path(token), {"channels": [Channel.MESAJ, Channel.ARAMA]})
    # ARAMA is not a choice of this link: the form refuses it rather than rejecting more than signed.
    assert response.status_code == 200
    sms.refresh_from_db()
    call.refresh_from_db()
    assert call.status == Status.ONAY
    client.post(_path(token), {"channels": [Channel.MESAJ]})
    sms.refresh_from_db()
    call.refresh_from_db()
    assert (sms.status, sms.source) == (Status.RET, Source.IYS_FRAME_SMS)
    assert call.status == Status.ONAY


def test_rfc8058_one_click_post_rejects_at_once_without_csrf(brand, onay_email):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    token = optout_token_for(brand=brand, recipient=EMAIL)
    response = csrf_client.post(
        _path(token), "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    onay_email.refresh_from_db()
    assert (onay_email.status, onay_email.source) == (Status.RET, Source.IYS_FRAME_EPOSTA)
    # A mail client may send it twice: the second changes nothing and writes no history.
    response = csrf_client.post(
        _path(token), "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert ConsentEvent.objects.filter(consent=onay_email, status=Status.RET).count() == 1


def test_one_click_for_an_address_without_a_record_stores_a_rejection_for_every_recipient_type(client, brand):
    # Issue 10 changed this: a BIREYSEL RET alone let the brand go on messaging the address as TACIR.
    token = optout_token_for(brand=brand, recipient=EMAIL)
    client.post(_path(token), {"List-Unsubscribe": "One-Click"})
    rows = Consent.objects.filter(brand=brand, recipient=EMAIL).order_by("recipient_type")
    assert [(c.recipient_type, c.channel, c.status, c.source) for c in rows] == [
        (RecipientType.BIREYSEL, Channel.EPOSTA, Status.RET, Source.IYS_FRAME_EPOSTA),
        (RecipientType.TACIR, Channel.EPOSTA, Status.RET, Source.IYS_FRAME_EPOSTA),
    ]
    for recipient_type in RecipientType.values:
        assert not can_send(brand=brand, recipient=EMAIL, recipient_type=recipient_type, channel="EPOSTA").allowed


def test_confirmed_link_without_a_record_holds_for_tacir_too(client, brand):
    token = optout_token_for(brand=brand, recipient=PHONE, channels=[Channel.ARAMA])
    client.post(_path(token), {"channels": [Channel.ARAMA]})
    assert sorted(Consent.objects.filter(brand=brand, recipient=PHONE).values_list("recipient_type", "channel", "status")) == [
        (RecipientType.BIREYSEL, Channel.ARAMA, Status.RET), (RecipientType.TACIR, Channel.ARAMA, Status.RET),
    ]
    assert not can_send(brand=brand, recipient=PHONE, recipient_type="TACIR", channel="ARAMA").allowed


def test_one_click_rejects_both_bireysel_and_tacir_records(client, brand, provider_actor):
    _onay(brand, provider_actor, EMAIL, Channel.EPOSTA, RecipientType.BIREYSEL)
    _onay(brand, provider_actor, EMAIL, Channel.EPOSTA, RecipientType.TACIR)
    client.post(_path(optout_token_for(brand=brand, recipient=EMAIL)), {"List-Unsubscribe": "One-Click"})
    assert set(Consent.objects.filter(recipient=EMAIL).values_list("recipient_type", "status")) == {
        (RecipientType.BIREYSEL, Status.RET), (RecipientType.TACIR, Status.RET),
    }


def test_link_only_touches_its_own_brand(client, brand, provider_actor):
    other = factories.BrandFactory(provider=brand.provider)
    mine = _onay(brand, provider_actor, EMAIL, Channel.EPOSTA).consent
    theirs = _onay(other, provider_actor, EMAIL, Channel.EPOSTA).consent
    client.post(_path(optout_token_for(brand=brand, recipient=EMAIL)), {"List-Unsubscribe": "One-Click"})
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.status, theirs.status) == (Status.RET, Status.ONAY)


@pytest.mark.parametrize("method", ["get", "post_confirm", "post_one_click"])
def test_tampered_link_is_refused_with_400_and_changes_nothing(client, brand, onay_email, method):
    token = optout_token_for(brand=brand, recipient=EMAIL)
    # Point the signed payload at another address by swapping in a payload signed with another salt.
    forged = signing.dumps({"b": brand.brand_code, "r": EMAIL, "c": ["EPOSTA"]}, salt="something-else", compress=True)
    for bad in (token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), forged, "not-a-token"):
        if method == "get":
            response = client.get(_path(bad))
        elif method == "post_confirm":
            response = client.post(_path(bad), {"channels": ["EPOSTA"]})
        else:
            response = client.post(_path(bad), {"List-Unsubscribe": "One-Click"})
        assert response.status_code == 400, bad
        assert "geçersiz" in response.content.decode()
    onay_email.refresh_from_db()
    assert onay_email.status == Status.ONAY
    assert not ConsentEvent.objects.filter(status=Status.RET).exists()


def test_changing_the_recipient_inside_the_token_breaks_the_signature(brand):
    token = optout_token_for(brand=brand, recipient=EMAIL)
    other = optout_token_for(brand=brand, recipient="mehmet@example.com")
    # Payload of one link with the signature of another.
    stamp_sig = token.split(":", 1)[1]
    other_payload = other.split(":", 1)[0]
    with pytest.raises(OptoutLinkTampered):
        optout_read_token(f"{other_payload}:{stamp_sig}")
    assert optout_read_token(token).recipient.value == EMAIL


def _token_signed_ago(monkeypatch, age: dt.timedelta, **kwargs) -> str:
    """A token as it was signed `age` ago (the signature's timestamp is what expiry reads)."""
    real = time.time()
    with monkeypatch.context() as patched:
        patched.setattr(signing.time, "time", lambda: real - age.total_seconds())
        return optout_token_for(**kwargs)


@pytest.mark.parametrize("method", ["get", "post_one_click"])
def test_expired_link_is_refused_with_410_and_changes_nothing(client, brand, onay_email, monkeypatch, method):
    token = _token_signed_ago(monkeypatch, dt.timedelta(days=91), brand=brand, recipient=EMAIL)
    with pytest.raises(OptoutLinkExpired):
        optout_read_token(token)
    if method == "get":
        response = client.get(_path(token))
    else:
        response = client.post(_path(token), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 410
    assert "süresi dolmuş" in response.content.decode()
    onay_email.refresh_from_db()
    assert onay_email.status == Status.ONAY


def test_link_within_90_days_still_works(client, brand, onay_email, monkeypatch):
    token = _token_signed_ago(monkeypatch, dt.timedelta(days=89), brand=brand, recipient=EMAIL)
    assert client.post(_path(token), {"List-Unsubscribe": "One-Click"}).status_code == 200
    onay_email.refresh_from_db()
    assert onay_email.status == Status.RET


def test_link_of_a_deactivated_brand_is_refused_as_gone(client, brand, onay_email):
    token = optout_token_for(brand=brand, recipient=EMAIL)
    brand.is_active = False
    brand.save(update_fields=["is_active"])
    assert client.get(_path(token)).status_code == 410


def test_salt_is_specific_to_optout_links(brand):
    # A value signed by another feature of the project with the same SECRET_KEY is not an opt-out link.
    assert OPTOUT_LINK_SALT == "citizens.optout.link.v1"
    session_like = signing.dumps({"b": brand.brand_code, "r": EMAIL, "c": ["EPOSTA"]})
    with pytest.raises(OptoutLinkTampered):
        optout_read_token(session_like)


def test_headers_offer_rfc8058_one_click_with_the_signed_link(brand):
    from citizens.optout.services import optout_headers_for

    headers = optout_headers_for(brand=brand, recipient=EMAIL)
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = headers["List-Unsubscribe"].strip("<>")
    assert optout_read_token(link.rstrip("/").rsplit("/", 1)[1]).recipient.value == EMAIL


def test_management_command_prints_a_working_link(client, brand, onay_email):
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("optout_link", brand=brand.brand_code, recipient="Ayse@Example.com", stdout=out)
    link = out.getvalue().splitlines()[0]
    path = "/" + link.split("/", 3)[3]
    assert client.post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    onay_email.refresh_from_db()
    assert onay_email.status == Status.RET
    with pytest.raises(CommandError):
        call_command("optout_link", brand=brand.brand_code, recipient=EMAIL, channel=["MESAJ"], stdout=out)
    with pytest.raises(CommandError):
        call_command("optout_link", brand=1, recipient=EMAIL, stdout=out)
