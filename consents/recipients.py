"""Normalisation of recipient addresses: phone numbers to E.164, e-mail addresses to lower case.

Turkish numbers arrive in every shape people type (0532 123 45 67, 532-123-4567, 905321234567,
+90 (532) 123 45 67, 0090..., with dots, tabs or non-breaking spaces); they are handled by a fast
regular-expression path because bulk uploads normalise millions of them. Anything else that looks
international goes through libphonenumber.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import phonenumbers

from .errors import ConsentRuleError

PHONE = "phone"
EMAIL = "email"
RecipientKind = Literal["phone", "email"]

# Separators people put inside phone numbers, including non-breaking and thin spaces.
_PHONE_NOISE = re.compile(r"[\s\u00a0\u2007\u202f\-().\/]+")
# Turkish national significant numbers are 10 digits: 5xx mobiles, 2xx-4xx landlines, 850/8xx services.
_TR_NATIONAL = re.compile(r"^(?:\+90|0090|90|0)?([2-58]\d{9})$")
_INTERNATIONAL = re.compile(r"^(?:\+|00)([1-9]\d{6,14})$")
_EMAIL = re.compile(
    r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
)
# Digits from other scripts (Arabic-Indic, full-width) that phones and keyboards sometimes produce.
_DIGIT_TRANSLATION = str.maketrans(
    "٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹０１２３４５６７８９＋", "0123456789" * 3 + "+"
)

EMAIL_MIN_LENGTH = 6
EMAIL_MAX_LENGTH = 265
PHONE_MAX_LENGTH = 15


@dataclass(frozen=True, slots=True)
class Recipient:
    value: str
    kind: RecipientKind

    @property
    def is_phone(self) -> bool:
        return self.kind == PHONE


def normalize_phone(raw: str) -> str | None:
    """Return the E.164 form of a phone number, or None if it is not one."""
    cleaned = _PHONE_NOISE.sub("", raw.translate(_DIGIT_TRANSLATION))
    if not cleaned:
        return None
    match = _TR_NATIONAL.match(cleaned)
    if match:
        return "+90" + match.group(1)
    match = _INTERNATIONAL.match(cleaned)
    if not match:
        return None
    try:
        parsed = phonenumbers.parse("+" + match.group(1), None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(raw: str) -> str | None:
    """Return the lower-cased e-mail address, or None if it is not an acceptable one."""
    value = raw.strip().strip("<>").strip()
    if value.lower().startswith("mailto:"):
        value = value[7:]
    # Lower-case ASCII only: Turkish letters are refused, not folded ('İ'.lower() is two code points).
    if not value.isascii():
        return None
    value = value.lower()
    if not (EMAIL_MIN_LENGTH <= len(value) <= EMAIL_MAX_LENGTH):
        return None
    if not _EMAIL.match(value):
        return None
    return value


def normalize_recipient(raw: str | None, *, field: str = "recipient") -> Recipient:
    """Normalise any accepted input shape; raise ConsentRuleError with the İYS code otherwise."""
    if raw is None or not str(raw).strip():
        raise ConsentRuleError("H114", field=field, value=raw)
    text = str(raw).strip()
    if "@" in text:
        email = normalize_email(text)
        if email is None:
            raise ConsentRuleError("H120", field=field, value=raw)
        return Recipient(email, EMAIL)
    phone = normalize_phone(text)
    if phone is None:
        digits = sum(ch.isdigit() for ch in text)
        if digits > PHONE_MAX_LENGTH:
            raise ConsentRuleError("H160", field=field, value=raw)
        if digits >= 7 and not any(ch.isalpha() for ch in text):
            raise ConsentRuleError("H121", field=field, value=raw)
        raise ConsentRuleError("H122", field=field, value=raw)
    return Recipient(phone, PHONE)


def try_normalize(raw: str | None) -> str | None:
    """The normalised value, or None: for search boxes, where a bad shape simply finds nothing."""
    try:
        return normalize_recipient(raw).value
    except ConsentRuleError:
        return None
