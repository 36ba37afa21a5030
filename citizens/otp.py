"""One-time codes: 6 digits, sent by SMS (phones) or e-mail, valid 15 minutes, 3 wrong tries, single use.

Only an HMAC of the code (keyed by SECRET_KEY, bound to purpose and address) is stored. Sending is
rate-limited per address and per client IP with fixed-window counters in Django's cache (Redis).
"""
from __future__ import annotations

import datetime as dt
import enum
import secrets

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac

from consents.errors import ConsentRuleError
from consents.recipients import normalize_recipient

from .models import OneTimeCode, OtpPurpose
from .sms import send_sms

CODE_LENGTH = 6
CODE_TTL = dt.timedelta(minutes=15)
MAX_WRONG_ATTEMPTS = 3


def _limit(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


class OtpError(Exception):
    """A refused OTP operation with a message in Turkish and English."""

    code = "OTP"

    def __init__(self, message_tr: str, message_en: str) -> None:
        self.message_tr = message_tr
        self.message_en = message_en
        super().__init__(message_en)

    @property
    def message(self) -> str:
        return self.message_en if (translation.get_language() or "tr")[:2] == "en" else self.message_tr


class OtpRateLimited(OtpError):
    code = "OTP_RATE_LIMITED"


class OtpCheck(enum.Enum):
    OK = "ok"
    WRONG = "wrong"
    EXPIRED = "expired"  # expired, already used, or never sent: ask for a new code
    EXHAUSTED = "exhausted"  # three wrong tries: ask for a new code
    INVALID_ADDRESS = "invalid_address"


def code_hash(*, purpose: str, address: str, code: str) -> str:
    return salted_hmac("citizens.otp", f"{purpose}:{address}:{code}", algorithm="sha256").hexdigest()


def _bump(key: str, window: int) -> int:
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.set(key, 1, timeout=window)
        return 1


def _check_rate(*, address: str, client_ip: str | None) -> None:
    window = _limit("OTP_RATE_WINDOW_SECONDS", 3600)
    per_address = _limit("OTP_RATE_PER_ADDRESS", 5)
    per_ip = _limit("OTP_RATE_PER_IP", 30)
    minutes = max(1, window // 60)
    if _bump(f"otp:addr:{address}", window) > per_address:
        raise OtpRateLimited(
            f"Bu adrese çok fazla kod gönderildi. Lütfen {minutes} dakika sonra yeniden deneyin.",
            f"Too many codes were sent to this address. Please try again in {minutes} minutes.",
        )
    if client_ip and _bump(f"otp:ip:{client_ip}", window) > per_ip:
        raise OtpRateLimited(
            f"Bu bağlantıdan çok fazla kod istendi. Lütfen {minutes} dakika sonra yeniden deneyin.",
            f"Too many codes were requested from this connection. Please try again in {minutes} minutes.",
        )


def _message(code: str) -> tuple[str, str]:
    subject = "ileti doğrulama kodu"
    body = f"ileti doğrulama kodunuz: {code}. 15 dakika geçerlidir; kimseyle paylaşmayın."
    return subject, body


def otp_send(*, address: str, purpose: str, client_ip: str | None) -> OneTimeCode:
    """Create, store (hashed) and send a new code. Raises ConsentRuleError (bad address) or OtpRateLimited."""
    if purpose not in OtpPurpose.values:
        raise ValueError(f"unknown OTP purpose {purpose!r}")
    recipient = normalize_recipient(address, field="address")
    _check_rate(address=recipient.value, client_ip=client_ip)
    code = f"{secrets.randbelow(10 ** CODE_LENGTH):0{CODE_LENGTH}d}"
    now = timezone.now()
    otp = OneTimeCode.objects.create(
        purpose=purpose,
        address=recipient.value,
        code_hash=code_hash(purpose=purpose, address=recipient.value, code=code),
        expires_at=now + CODE_TTL,
        client_ip=client_ip or None,
    )
    subject, body = _message(code)
    if recipient.is_phone:
        send_sms(recipient.value, body)
    else:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient.value])
    return otp


def otp_check(*, address: str, purpose: str, code: str) -> OtpCheck:
    """Check a code against the newest one sent to the address for the purpose; consume it on success."""
    try:
        value = normalize_recipient(address, field="address").value
    except ConsentRuleError:
        return OtpCheck.INVALID_ADDRESS
    typed = "".join(str(code or "").split())
    now = timezone.now()
    with transaction.atomic():
        otp = (
            OneTimeCode.objects.select_for_update()
            .filter(address=value, purpose=purpose)
            .order_by("-id")
            .first()
        )
        if otp is None or otp.used_at is not None or otp.expires_at <= now:
            return OtpCheck.EXPIRED
        if otp.attempts >= MAX_WRONG_ATTEMPTS:
            return OtpCheck.EXHAUSTED
        expected = code_hash(purpose=purpose, address=value, code=typed)
        if not (len(typed) == CODE_LENGTH and typed.isdigit() and constant_time_compare(expected, otp.code_hash)):
            OneTimeCode.objects.filter(pk=otp.pk).update(attempts=F("attempts") + 1)
            return OtpCheck.EXHAUSTED if otp.attempts + 1 >= MAX_WRONG_ATTEMPTS else OtpCheck.WRONG
        OneTimeCode.objects.filter(pk=otp.pk, used_at__isnull=True).update(used_at=now)
        return OtpCheck.OK


def otp_tries_left(*, address: str, purpose: str) -> int:
    """Wrong tries the newest live code of the address still allows (0 when there is none)."""
    try:
        value = normalize_recipient(address, field="address").value
    except ConsentRuleError:
        return 0
    # Only the newest code counts (otp_check): an older live one must not report tries.
    otp = OneTimeCode.objects.filter(address=value, purpose=purpose).order_by("-id").first()
    if otp is None or otp.used_at is not None or otp.expires_at <= timezone.now():
        return 0
    return max(0, MAX_WRONG_ATTEMPTS - otp.attempts)


def otp_verify(*, address: str, purpose: str, code: str) -> bool:
    """True once for the right code within 15 minutes and 3 wrong tries; False otherwise."""
    return otp_check(address=address, purpose=purpose, code=code) is OtpCheck.OK


CHECK_MESSAGES: dict[OtpCheck, tuple[str, str]] = {
    OtpCheck.WRONG: ("Kod hatalı. Lütfen yeniden deneyin.", "The code is wrong. Please try again."),
    OtpCheck.EXPIRED: (
        "Kodun süresi dolmuş veya kod kullanılmış. Lütfen yeni bir kod isteyin.",
        "The code has expired or was already used. Please request a new code.",
    ),
    OtpCheck.EXHAUSTED: (
        "Üç kez hatalı kod girildi. Lütfen yeni bir kod isteyin.",
        "The code was entered wrongly three times. Please request a new code.",
    ),
    OtpCheck.INVALID_ADDRESS: ("Adres geçersiz.", "The address is not valid."),
}


def check_message(result: OtpCheck, *, tries_left: int | None = None) -> str:
    """The message for a refused code; a wrong code also says how many tries remain, when known."""
    english = (translation.get_language() or "tr")[:2] == "en"
    if result is OtpCheck.WRONG and tries_left:
        if english:
            return f"The code is wrong. {tries_left} {'try' if tries_left == 1 else 'tries'} left."
        return f"Kod hatalı. {tries_left} deneme hakkınız kaldı."
    tr, en = CHECK_MESSAGES.get(result, ("", ""))
    return en if english else tr
