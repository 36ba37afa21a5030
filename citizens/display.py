"""How addresses are written for people: Turkish phones as they are dialled (0532 111 22 33), not E.164.

Stored values stay E.164 (`+905321112233`); only what a citizen reads is formatted here.
"""
from __future__ import annotations

TR_PREFIX = "+90"
TR_NATIONAL_DIGITS = 10  # 532 111 22 33


def is_phone(value: str) -> bool:
    return bool(value) and "@" not in value


def _tr_national(value: str) -> str | None:
    digits = value[len(TR_PREFIX):] if value.startswith(TR_PREFIX) else ""
    if len(digits) == TR_NATIONAL_DIGITS and digits.isdigit():
        return digits
    return None


def display_address(value: str | None) -> str:
    """`+905321112233` -> `0532 111 22 33`; other countries' numbers keep their + form; e-mail as is."""
    if not value:
        return ""
    national = _tr_national(value)
    if national is None:
        return value
    return f"0{national[:3]} {national[3:6]} {national[6:8]} {national[8:]}"


def mask_address(value: str) -> str:
    """Enough of an address for its owner to recognise it, not enough to learn it from a forwarded link."""
    if "@" in value:
        local, _, domain = value.partition("@")
        return f"{local[:1]}{'*' * max(2, len(local) - 1)}@{domain}"
    national = _tr_national(value)
    if national is not None:
        return f"0{national[:3]} *** ** {national[8:]}"
    return f"{value[:4]}{'*' * max(0, len(value) - 8)}{value[-4:]}"
