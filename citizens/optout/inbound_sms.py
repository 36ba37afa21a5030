"""Rejection by SMS: the grammar of inbound messages and the service the gateway endpoint calls.

Grammar (documented for citizens in the help reply):

    RET <marka kodu>      e.g. "RET 700001", "ret700001", " Ret  700001 ", "RET: 700001"
    IPTAL <marka kodu>    the same; people write "iptal" as often as "ret" when they want messages to stop

Case, spacing and the Turkish dotted/dotless i (İ, ı, I, i) do not matter; full-width or Arabic-Indic
digits are read as digits; one separator (":", "-", ".", ",") between keyword and code and trailing
punctuation are tolerated. Anything else (a keyword without a code, two codes, words after the code,
an unknown keyword) is not guessed at: the sender gets a reply explaining how to write it, and nothing
changes. A rejection by SMS stops MESAJ only (the channel the citizen is using), as the issue asks.
"""
from __future__ import annotations

import enum
import logging
import re
import unicodedata
from dataclasses import dataclass, replace

from django.utils.translation import gettext as _

from consents.errors import ConsentRuleError
from consents.models import Source, Via
from consents.recipients import PHONE, Recipient, normalize_recipient
from providers.models import Brand, Channel

from ..sms import SmsSendError, send_sms
from .services import optout_actor, optout_reject

logger = logging.getLogger(__name__)

KEYWORDS = ("ret", "iptal")
_INVISIBLE = re.compile(r"[\u200b-\u200f\u2060\ufeff]")
_GRAMMAR = re.compile(r"^(?P<keyword>[a-z]+)\s*(?:[:\-.,]\s*)?(?P<code>\d+)?\s*[.!]*$")
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "0123456789" * 2)
MAX_BRAND_CODE = 2_147_483_647


class InboundKind(enum.StrEnum):
    REJECT = "reject"  # keyword and a brand code
    MISSING_CODE = "missing_code"  # keyword without a brand code
    UNPARSEABLE = "unparseable"  # anything else


@dataclass(frozen=True, slots=True)
class InboundCommand:
    kind: InboundKind
    brand_code: int | None = None


def _fold(text: str) -> str:
    """Lower-case with every Turkish i (İ, I, ı, i) folded to a plain "i", spacing collapsed."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _INVISIBLE.sub("", text).translate(_DIGITS)
    text = text.replace("İ", "i").replace("I", "i").lower().replace("ı", "i").replace("i̇", "i")
    return " ".join(text.split())


def parse_inbound(text: str) -> InboundCommand:
    """Read one inbound SMS. Pure: no database, no side effects."""
    match = _GRAMMAR.match(_fold(text))
    if not match or match.group("keyword") not in KEYWORDS:
        return InboundCommand(InboundKind.UNPARSEABLE)
    code = match.group("code")
    if code is None:
        return InboundCommand(InboundKind.MISSING_CODE)
    value = int(code)
    if value <= 0 or value > MAX_BRAND_CODE:
        return InboundCommand(InboundKind.UNPARSEABLE)
    return InboundCommand(InboundKind.REJECT, value)


class InboundOutcome(enum.StrEnum):
    REJECTED = "rejected"
    ALREADY_REJECTED = "already_rejected"
    UNKNOWN_BRAND = "unknown_brand"
    MISSING_CODE = "missing_code"
    UNPARSEABLE = "unparseable"


@dataclass(frozen=True, slots=True)
class InboundResult:
    outcome: InboundOutcome
    reply: str
    brand: Brand | None = None
    reply_sent: bool = False


def _how_to() -> str:
    return _(
        "Bir markanın size SMS göndermesini durdurmak için RET boşluk marka kodu yazıp gönderin, "
        "örneğin: RET 700001. Marka kodu, markanın size gönderdiği iletilerin sonunda yer alır."
    )


def sender_phone(raw: str) -> Recipient | None:
    """The sender as an E.164 phone number, or None when the gateway sent something else."""
    try:
        recipient = normalize_recipient(raw)
    except ConsentRuleError:
        return None
    return recipient if recipient.kind == PHONE else None


def inbound_sms_handle(*, sender: Recipient, text: str) -> InboundResult:
    """Apply one inbound SMS from `sender` and send the reply through the SMS backend.

    The rejection is committed before the reply goes out, so a gateway retry repeats only the reply
    (the rejection is idempotent and reported as "already rejected").
    """
    result = _apply(sender=sender, text=text)
    try:
        send_sms(sender.value, result.reply)
    except SmsSendError:
        # The rejection is stored either way; the gateway may retry and the reply goes out then.
        logger.exception("inbound SMS reply to %s could not be sent", sender.value)
        return result
    return replace(result, reply_sent=True)


def _apply(*, sender: Recipient, text: str) -> InboundResult:
    command = parse_inbound(text)
    if command.kind is InboundKind.UNPARSEABLE:
        return InboundResult(InboundOutcome.UNPARSEABLE, _("Mesajınız anlaşılamadı. ") + _how_to())
    if command.kind is InboundKind.MISSING_CODE:
        return InboundResult(InboundOutcome.MISSING_CODE, _("Marka kodu eksik. ") + _how_to())
    brand = Brand.objects.filter(brand_code=command.brand_code, is_active=True).first()
    if brand is None:
        return InboundResult(
            InboundOutcome.UNKNOWN_BRAND,
            _("%(code)s kodlu bir marka bulunamadı. ") % {"code": command.brand_code} + _how_to(),
        )
    results = optout_reject(
        brand=brand,
        recipient=sender,
        channels=[Channel.MESAJ],
        source=Source.IYS_KISAMESAJ,
        actor=optout_actor(recipient=sender, channel_label="SMS"),
        via=Via.SMS,
    )
    if any(r.changed for r in results):
        reply = _("%(brand)s markasının size SMS göndermesi reddedildi. Ret kaydınız İYS'ye işlendi.")
        return InboundResult(InboundOutcome.REJECTED, reply % {"brand": brand.name}, brand)
    reply = _("%(brand)s markası için SMS reddiniz zaten kayıtlı. Size ileti gönderilmemelidir.")
    return InboundResult(InboundOutcome.ALREADY_REJECTED, reply % {"brand": brand.name}, brand)
