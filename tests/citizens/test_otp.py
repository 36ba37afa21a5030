from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest
from django.core import mail
from django.utils import timezone

from citizens.models import OneTimeCode, OtpPurpose
from citizens.otp import MAX_WRONG_ATTEMPTS, OtpCheck, OtpRateLimited, otp_check, otp_send, otp_verify
from citizens.sms import SmsSendError, get_backend, send_sms
from citizens.sms.backends.http import SmsBackend as HttpSmsBackend
from consents.errors import ConsentRuleError

from .conftest import last_sms_code

pytestmark = pytest.mark.django_db
PHONE = "+905321234567"


def test_code_is_sent_by_sms_to_the_normalised_phone_and_stored_hashed(sms_outbox):
    otp = otp_send(address="0532 123 45 67", purpose=OtpPurpose.SIGN_IN, client_ip="10.0.0.1")
    assert otp.address == PHONE
    assert len(sms_outbox) == 1 and sms_outbox[0].to == PHONE
    code = last_sms_code(PHONE)
    stored = OneTimeCode.objects.get(pk=otp.pk)
    assert code not in stored.code_hash and len(stored.code_hash) == 64
    assert abs(stored.expires_at - stored.created_at - dt.timedelta(minutes=15)) < dt.timedelta(seconds=1)
    assert str(stored.client_ip) == "10.0.0.1"
    assert otp_verify(address="+90 532 123 4567", purpose=OtpPurpose.SIGN_IN, code=code)


def test_code_is_sent_by_email_for_an_email_address():
    otp_send(address="Ayse@Example.com", purpose=OtpPurpose.SIGN_IN, client_ip=None)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ayse@example.com"]
    code = re.search(r"\b(\d{6})\b", mail.outbox[0].body).group(1)
    assert otp_verify(address="ayse@example.com", purpose=OtpPurpose.SIGN_IN, code=code)


def test_code_is_single_use():
    otp_send(address=PHONE, purpose=OtpPurpose.SIGN_IN, client_ip=None)
    code = last_sms_code(PHONE)
    assert otp_verify(address=PHONE, purpose=OtpPurpose.SIGN_IN, code=code)
    assert otp_check(address=PHONE, purpose=OtpPurpose.SIGN_IN, code=code) is OtpCheck.EXPIRED


def test_code_is_bound_to_its_purpose():
    otp_send(address=PHONE, purpose=OtpPurpose.SIGN_IN, client_ip=None)
    code = last_sms_code(PHONE)
    assert not otp_verify(address=PHONE, purpose=OtpPurpose.ADD_ADDRESS, code=code)
    assert otp_verify(address=PHONE, purpose=OtpPurpose.SIGN_IN, code=code)


def test_code_expires_after_15_minutes():
    otp = otp_send(address=PHONE, purpose=OtpPurpose.SIGN_IN, client_ip=None)
    code = last_sms_code(PHONE)
    OneTimeCode.objects.filter(pk=otp.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert otp_check(address=PHONE, purpose=OtpPurpose.SIGN_IN, code=code) is OtpCheck.EXPIRED


def test_three_wrong_tries_burn_the_code_even_for_the_right_code_afterwards():
    otp = otp_send(address=PHONE, purpose=OtpPurpose.SIGN_IN, client_ip=None)
    code = last_sms_code(PHONE)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert otp_check(address=PHONE, purpose=OtpPurpose.SIGN_IN, code=wrong) is OtpCheck.WRONG
    assert otp_check(address=PHONE, purpose=OtpPurpose.SIGN_IN, code="abc") is OtpCheck.WRONG
    assert otp_check(address=PHONE, purpose=OtpPurpose.SIGN_IN, code=wrong) is OtpCheck.EXHAUSTED
    assert OneTimeCode.objects.get(pk=otp.pk).attempts == MAX_WRONG_ATTEMPTS
    assert otp_check(address=PHONE, purpose=OtpPurpose.SIGN_IN, code=code) is OtpCheck.EXHAUSTED
    assert OneTimeCode.objects.get(pk=otp.pk).used_at is None


def test_only_the_newest_code_counts():
    otp_send(address=PHONE, purpose=OtpPurpose.SIGN_IN, client_ip=None)
    first = last_sms_code(PHONE)
    otp_send(address=PHONE, purpose=OtpPurpose.SIGN_IN, client_ip=None)
    second = last_sms_code(PHONE)
    if first != second:
        assert not otp_verify(address=PHONE, purpose=OtpPurpose.SIGN_IN, code=first)
    assert otp_verify(address=PHONE, purpose=OtpPurpose.SIGN_IN, code=second)


def test_rate_limit_per_address(settings, sms_outbox):
    settings.OTP_RATE_PER_ADDRESS = 3
    for _ in range(3):
        otp_send(address=PHONE, purpose=OtpPurpose.SIGN_IN, client_ip=None)
    with pytest.raises(OtpRateLimited) as exc:
        otp_send(address="05321234567", purpose=OtpPurpose.SIGN_IN, client_ip=None)
    assert "çok fazla" in exc.value.message_tr and "Too many" in exc.value.message_en
    assert len(sms_outbox) == 3
    # Another address is not affected.
    otp_send(address="+905321234568", purpose=OtpPurpose.SIGN_IN, client_ip=None)


def test_rate_limit_per_client_ip(settings, sms_outbox):
    settings.OTP_RATE_PER_IP = 2
    otp_send(address="+905320000001", purpose=OtpPurpose.SIGN_IN, client_ip="10.1.1.1")
    otp_send(address="+905320000002", purpose=OtpPurpose.SIGN_IN, client_ip="10.1.1.1")
    with pytest.raises(OtpRateLimited):
        otp_send(address="+905320000003", purpose=OtpPurpose.SIGN_IN, client_ip="10.1.1.1")
    otp_send(address="+905320000003", purpose=OtpPurpose.SIGN_IN, client_ip="10.1.1.2")
    assert [m.to for m in sms_outbox] == ["+905320000001", "+905320000002", "+905320000003"]


def test_bad_address_is_refused_with_the_iys_code():
    with pytest.raises(ConsentRuleError) as exc:
        otp_send(address="12ab", purpose=OtpPurpose.SIGN_IN, client_ip=None)
    assert exc.value.code.startswith("H")
    assert not OneTimeCode.objects.exists()


def test_http_backend_posts_to_the_gateway_and_raises_on_failure(settings):
    seen: list[httpx.Request] = []

    def ok(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(202, json={"id": "1"})

    backend = HttpSmsBackend(url="https://gw.example/send", token="s3cret", transport=httpx.MockTransport(ok))
    from citizens.sms import SmsMessage

    assert backend.send_messages([SmsMessage(to=PHONE, body="merhaba")]) == 1
    assert seen[0].headers["Authorization"] == "Bearer s3cret"
    assert b'"to":"+905321234567"' in seen[0].content.replace(b" ", b"")

    failing = HttpSmsBackend(
        url="https://gw.example/send", transport=httpx.MockTransport(lambda r: httpx.Response(503))
    )
    with pytest.raises(SmsSendError):
        failing.send_messages([SmsMessage(to=PHONE, body="merhaba")])


def test_send_sms_uses_the_configured_backend(sms_outbox):
    send_sms(PHONE, "deneme")
    assert sms_outbox[-1].body == "deneme"
    assert get_backend().__class__.__module__ == "citizens.sms.backends.locmem"
