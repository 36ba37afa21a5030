"""Rejection by call: a citizen calls the registry's line and keys in a brand code (FAQ: a citizen rejects
through the channel the message came by). The caller's number is the address; ARAMA is rejected with İYS's
call-centre source (IYS_CM) through the same citizen rejection service as SMS and the opt-out page.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from django.utils.translation import gettext as _

from consents.models import Source, Via
from consents.recipients import Recipient
from providers.models import Brand, Channel

from .inbound_sms import MAX_BRAND_CODE
from .services import optout_actor, optout_reject


class CallOutcome(enum.StrEnum):
    REJECTED = "rejected"
    ALREADY_REJECTED = "already_rejected"
    UNKNOWN_BRAND = "unknown_brand"
    MISSING_CODE = "missing_code"
    UNPARSEABLE = "unparseable"


@dataclass(frozen=True, slots=True)
class CallResult:
    outcome: CallOutcome
    say: str
    brand: Brand | None = None


def _how_to() -> str:
    return _(
        "Bir markanın sizi aramasını durdurmak için markanın kodunu tuşlayıp kare tuşuna basın. "
        "Marka kodu, markanın size gönderdiği iletilerde yer alır."
    )


def parse_digits(digits: str) -> tuple[CallOutcome | None, int | None]:
    """DTMF keys as the gateway collected them; the closing '#' (or '*') and spaces are ignored."""
    keys = "".join((digits or "").split()).rstrip("#*")
    if not keys:
        return CallOutcome.MISSING_CODE, None
    if not keys.isascii() or not keys.isdigit() or not 0 < int(keys) <= MAX_BRAND_CODE:
        return CallOutcome.UNPARSEABLE, None
    return None, int(keys)


def inbound_call_handle(*, caller: Recipient, digits: str) -> CallResult:
    """Apply one call: reject ARAMA of the keyed-in brand for the caller's number (idempotent)."""
    problem, code = parse_digits(digits)
    if problem is CallOutcome.MISSING_CODE:
        return CallResult(problem, _("Marka kodu tuşlanmadı. ") + _how_to())
    if problem is not None:
        return CallResult(problem, _("Tuşladığınız kod anlaşılamadı. ") + _how_to())
    brand = Brand.objects.filter(brand_code=code, is_active=True).first()
    if brand is None:
        spoken = " ".join(str(code))  # read digit by digit
        return CallResult(
            CallOutcome.UNKNOWN_BRAND, _("%(code)s kodlu bir marka bulunamadı. ") % {"code": spoken} + _how_to()
        )
    results = optout_reject(
        brand=brand,
        recipient=caller,
        channels=[Channel.ARAMA],
        source=Source.IYS_CM,
        actor=optout_actor(recipient=caller, channel_label="Arama"),
        via=Via.CALL,
    )
    if any(r.changed for r in results):
        say = _("%(brand)s markasının sizi araması reddedildi. Ret kaydınız işlendi. İyi günler.")
        return CallResult(CallOutcome.REJECTED, say % {"brand": brand.name}, brand)
    say = _("%(brand)s markası için arama reddiniz zaten kayıtlı. Sizi aramamalıdır. İyi günler.")
    return CallResult(CallOutcome.ALREADY_REJECTED, say % {"brand": brand.name}, brand)
