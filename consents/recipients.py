"""Normalisation of recipient addresses: phone numbers to E.164, e-mail addresses to lower case.

Turkish numbers arrive in every shape people type (0532 123 45 67, 532-123-4567, 905321234567,
+90 (532) 123 45 67, 0090..., with dots, tabs or non-breaking spaces). Every number is checked against
the numbering plan as İYS checks it, with libphonenumber's metadata: Turkish ones through one regular
expression built from that metadata at import (bulk uploads normalise millions of them; a full
libphonenumber parse costs ~100 µs), anything else that looks international through libphonenumber itself.

E-mail addresses follow İYS's definition: no Turkish letters, no special characters except `+` before
the `@` (besides the usual `.`, `_`, `-`), at least `x@yy.zz`, 6 to 265 characters, no spaces.
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
# Local part: letters, digits, `.`, `_`, `-` and `+` (İYS's only special character); domain labels of at
# least two characters, a top-level domain of letters (İYS: at least x@yy.zz).
_EMAIL = re.compile(
    r"^[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])\.)+[a-z]{2,63}$"
)
_TURKISH_LETTERS = frozenset("çğıöşüÇĞİÖŞÜ")


def _tr_valid_pattern() -> re.Pattern[str]:
    """Every 10-digit Turkish number libphonenumber calls valid, as one expression (its metadata's own
    per-type patterns): the same answer as phonenumbers.is_valid_number, ~100 times faster."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region("TR")
    descs = [
        getattr(meta, name)
        for name in (
            "fixed_line", "mobile", "toll_free", "premium_rate", "shared_cost", "personal_number", "voip",
            "pager", "uan", "voicemail",
        )
    ]
    patterns = [
        d.national_number_pattern
        for d in descs
        if d is not None and d.national_number_pattern and 10 in (d.possible_length or ())
    ]
    return re.compile("(?:" + "|".join(f"(?:{p})" for p in patterns) + ")")


_TR_VALID = _tr_valid_pattern()
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
        national = match.group(1)
        return "+90" + national if _TR_VALID.fullmatch(national) else None
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


def _email_text(raw: str) -> str:
    value = raw.strip().strip("<>").strip()
    if value.lower().startswith("mailto:"):
        value = value[7:]
    return value


def normalize_email(raw: str) -> str | None:
    """Return the lower-cased e-mail address, or None if it is not an acceptable one."""
    value = _email_text(raw)
    # Lower-case ASCII only: Turkish letters are refused, not folded ('İ'.lower() is two code points).
    if not value.isascii():
        return None
    value = value.lower()
    if not (EMAIL_MIN_LENGTH <= len(value) <= EMAIL_MAX_LENGTH):
        return None
    if not _EMAIL.match(value):
        return None
    return value


def _email_hint(raw: str) -> str | None:
    """What people are told besides İYS's H120 text: a Turkish letter, or a special character."""
    value = _email_text(raw)
    if any(ch in _TURKISH_LETTERS for ch in value):
        return "turkish_letter"
    local = value.partition("@")[0]
    if local and re.search(r"[^A-Za-z0-9._+-]", local) and local.isascii():
        return "email_special"
    return None


# İYS's API takes phones only as E.164: '+', the country code, the number; nothing else.
_E164 = re.compile(r"\+\d+")


def normalize_recipient(raw: str | None, *, field: str = "recipient", e164_only: bool = False) -> Recipient:
    """Normalise any accepted input shape; raise ConsentRuleError with the İYS code otherwise.

    People's paths take phones in every shape they type; `e164_only` (the API, as İYS) takes a phone
    only as E.164 ('905321234567' or '0532…' are H121 there) and an e-mail address without '<…>' or
    'mailto:' around it.
    """
    if raw is None or not str(raw).strip():
        raise ConsentRuleError("H114", field=field, value=raw)
    text = str(raw).strip()
    if e164_only and "@" not in text and not _E164.fullmatch(text):
        digits = sum(ch.isdigit() for ch in text)
        if digits > PHONE_MAX_LENGTH:
            raise ConsentRuleError("H160", field=field, value=raw)
        if digits and not any(ch.isalpha() for ch in text):
            raise ConsentRuleError("H121", field=field, value=raw)
        raise ConsentRuleError("H122", field=field, value=raw)
    if "@" in text:
        # The API takes the address itself, not '<…>' or 'mailto:' around it.
        email = None if e164_only and _email_text(text) != text else normalize_email(text)
        if email is None:
            hint = _email_hint(text)
            if hint:
                raise ConsentRuleError("H120", field=field, value=raw, hint=hint)
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
