"""ileti's own "may I send?" (SPEC §3 rule 11): one recipient, or up to 1,000, with the reason.

İYS's status endpoints answer with the stored record only; these answer the question an SMS, call
or e-mail platform actually asks: allowed or not, and why (ONAY, TACIR without a record, ONAY still
under the citizen's review until a date, rejected by the citizen at a moment, the provider's own RET,
no record). Scoped like the status endpoints: a provider's own brands, a dealer's brand (as that
dealer), an intermediary's authorised brands and channels.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from config.db_router import replica_reads
from consents.models import RecipientType
from consents.rules import SendReason
from consents.selectors import SendAnswer, can_send_many

from .common import bounded, fmt, new_id
from .errors import IysError, item, json_response
from .schemas import ChannelT, Lenient
from .scope import dealer_of, resolve
from .views_consents import ERRS, _normalised

router = Router(tags=["Gönderim izni (ileti)"])
BASE = "/sps/{iysCode}/brands/{brandCode}/may-send"
MAX_RECIPIENTS = 1000


class MaySendQuery(Lenient):
    recipient: str = Field(..., max_length=1000, description="Telefon (+905XXXXXXXXX) ya da e-posta adresi.")
    recipientType: str | None = Field(
        None, description="BIREYSEL (varsayılan) ya da TACIR.", json_schema_extra={"enum": RecipientType.values}
    )
    type: ChannelT


class MaySendManyQuery(Lenient):
    recipients: list[str] = Field(..., description="En fazla 1000 alıcı.")
    recipientType: str | None = Field(
        None, description="BIREYSEL (varsayılan) ya da TACIR.", json_schema_extra={"enum": RecipientType.values}
    )
    type: ChannelT


class MaySendOut(Schema):
    recipient: str
    recipientType: str
    type: str
    allowed: bool = Field(..., description="Marka bu alıcıya bu kanaldan şimdi ileti gönderebilir mi?")
    reason: str = Field(
        ...,
        description=(
            "ONAY; UNDER_REVIEW (onay, vatandaşın inceleme süresi `reviewUntil`'e kadar sürüyor); TACIR_NO_RECORD "
            "(tacir, kayıt yok: ret edene kadar gönderilebilir); CITIZEN_REJECTED (vatandaş `rejectedAt` anında "
            "reddetti); RET (hizmet sağlayıcının kaydettiği ret); NO_RECORD (bireysel, kayıt yok)."
        ),
        json_schema_extra={"enum": [r.value for r in SendReason]},
    )
    status: str | None = Field(None, description="Kayıtlı durum (ONAY/RET); kayıt yoksa yok.")
    reviewUntil: str | None = None
    rejectedAt: str | None = None
    message: str


class MaySendManyOut(Schema):
    requestId: str
    list: list[MaySendOut]


def _message(answer: SendAnswer) -> str:
    reason = answer.reason
    if reason is SendReason.ONAY:
        return _("Gönderilebilir: alıcının onayı kayıtlı.")
    if reason is SendReason.UNDER_REVIEW:
        return _("Gönderilebilir: beyan edilen onay %(until)s tarihine kadar vatandaşın incelemesine açık.") % {
            "until": fmt(answer.review_until)
        }
    if reason is SendReason.TACIR_NO_RECORD:
        return _("Gönderilebilir: tacir/esnaf alıcının kaydı yok; ret edene kadar ileti gönderilebilir.")
    if reason is SendReason.CITIZEN_REJECTED:
        return _("Gönderilemez: alıcı %(at)s tarihinde bu markayı reddetti.") % {"at": fmt(answer.consent_date)}
    if reason is SendReason.RET:
        return _("Gönderilemez: alıcının ret kaydı var.")
    return _("Gönderilemez: bireysel alıcının onay kaydı yok.")


def answer_json(answer: SendAnswer, *, recipient: str, recipient_type: str, channel: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "recipient": recipient,
        "recipientType": recipient_type,
        "type": channel,
        "allowed": answer.allowed,
        "reason": answer.reason.value,
    }
    if answer.status is not None:
        body["status"] = answer.status
    if answer.reason is SendReason.UNDER_REVIEW:
        body["reviewUntil"] = fmt(answer.review_until)
    if answer.reason is SendReason.CITIZEN_REJECTED:
        body["rejectedAt"] = fmt(answer.consent_date)
    body["message"] = _message(answer)
    return body


def _recipient_type(value: str | None) -> str:
    if value is None:
        return RecipientType.BIREYSEL
    if value not in RecipientType.values:
        raise IysError.of("H116", location=["recipientType"], value=value)
    return value


@router.post(BASE, summary="Gönderim İzni Sorgulama", operation_id="maySend", response={200: MaySendOut, **ERRS})
@replica_reads
def may_send(request: HttpRequest, iysCode: int, brandCode: int, payload: MaySendQuery) -> HttpResponse:
    """Bu marka bu alıcıya bu kanaldan şimdi ileti gönderebilir mi, ve neden (SPEC kural 11)."""
    recipient_type = _recipient_type(payload.recipientType)
    ref = resolve(
        request.auth, bounded(iysCode, "iysCode"), bounded(brandCode, "brandCode"), action="status",
        channel=payload.type,
    )
    recipient = _normalised(payload.recipient, payload.type, location=["recipient"])
    answer = can_send_many(
        brand=ref.id, recipients=[recipient], recipient_type=recipient_type, channel=payload.type,
        normalised=True, retailer_id=dealer_of(request.auth),
    )[recipient]
    return json_response(answer_json(answer, recipient=recipient, recipient_type=recipient_type, channel=payload.type))


@router.post(
    BASE + "/list",
    summary="Çoklu Gönderim İzni Sorgulama",
    operation_id="maySendMany",
    response={200: MaySendManyOut, **ERRS},
)
@replica_reads
def may_send_many(request: HttpRequest, iysCode: int, brandCode: int, payload: MaySendManyQuery) -> HttpResponse:
    """En fazla 1000 alıcı için, gönderildikleri sırayla, gönderim izni ve nedeni."""
    recipient_type = _recipient_type(payload.recipientType)
    ref = resolve(
        request.auth, bounded(iysCode, "iysCode"), bounded(brandCode, "brandCode"), action="status",
        channel=payload.type,
    )
    if not payload.recipients:
        raise IysError.of("H164", location=["recipients"], value=[])
    if len(payload.recipients) > MAX_RECIPIENTS:
        raise IysError.of("H125", location=["recipients"])
    values: list[str] = []
    seen: set[str] = set()
    errors = []
    for pos, raw in enumerate(payload.recipients):
        try:
            value = _normalised(raw, payload.type, location=["recipients", pos])
        except IysError as err:
            errors.extend(err.errors)
            continue
        if value in seen:
            errors.append(item("H193", location=["recipients", pos], value=raw))
            continue
        seen.add(value)
        values.append(value)
    if errors:
        raise IysError(422, errors)
    answers = can_send_many(
        brand=ref.id, recipients=values, recipient_type=recipient_type, channel=payload.type, normalised=True,
        retailer_id=dealer_of(request.auth),
    )
    rows = [
        answer_json(answers[value], recipient=value, recipient_type=recipient_type, channel=payload.type)
        for value in values
    ]
    return json_response({"requestId": new_id(), "list": rows})
