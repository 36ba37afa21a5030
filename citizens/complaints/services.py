"""Complaints: a citizen files one about a message received without consent; operators work them.

The registry's part is the evidence: what the consent status of that brand/channel/address was at
the moment the message arrived, read from the append-only history and frozen on the complaint.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from consents.models import ConsentEvent, RecipientType, Status
from consents.selectors import consent_status_at
from providers.models import Brand

from ..channels import CHANNELS_FOR_KIND
from ..models import Citizen, CitizenAddress, Complaint, ComplaintEvent, ComplaintStatus, SnapshotStatus

MESSAGE_TEXT_MAX = 2000
SENDER_TEXT_MAX = 100
# Nothing before the law's registry start can be judged against the registry.
EARLIEST_MESSAGE = dt.datetime(2015, 5, 1, tzinfo=dt.timezone(dt.timedelta(hours=3)))
_UNSET: Any = object()


@dataclass(frozen=True, slots=True)
class ConsentSnapshot:
    status: str  # SnapshotStatus
    recipient_type: str
    source: str
    consent_date: dt.datetime | None
    event: ConsentEvent | None
    allowed: bool


def complaint_snapshot(*, brand: Brand, recipient: str, channel: str, moment: dt.datetime) -> ConsentSnapshot:
    """What the registry said about sending to `recipient` at `moment`.

    The individual (BIREYSEL) record decides when there is one; otherwise a merchant (TACIR) record;
    otherwise "no record", which for an individual means no permission.
    """
    for recipient_type in (RecipientType.BIREYSEL, RecipientType.TACIR):
        event = consent_status_at(
            brand=brand, recipient=recipient, recipient_type=recipient_type, channel=channel, moment=moment
        )
        if event is not None:
            allowed = event.status == Status.ONAY if recipient_type == RecipientType.BIREYSEL else event.status != Status.RET
            return ConsentSnapshot(event.status, recipient_type, event.source, event.consent_date, event, allowed)
    return ConsentSnapshot(SnapshotStatus.NO_RECORD, "", "", None, None, False)


def complaints_of_citizen(*, citizen: Citizen) -> QuerySet[Complaint]:
    return Complaint.objects.filter(citizen=citizen).select_related("brand", "brand__provider")


def complaint_file(
    *,
    citizen: Citizen,
    address: CitizenAddress,
    brand: Brand | None,
    sender_text: str = "",
    channel: str,
    received_at: dt.datetime,
    message_text: str,
    now: dt.datetime | None = None,
) -> Complaint:
    """File a complaint about a registered brand or an unregistered sender and freeze the snapshot.

    An unregistered sender (a name, short code or number the citizen saw) has no record by definition:
    the snapshot says "no record", sending not allowed. Raises ValidationError (keyed by field) when no
    sender is named, the address is not the citizen's, the channel does not fit the address, the moment
    is in the future or the text is empty.
    """
    now = now or timezone.now()
    errors: dict[str, str] = {}
    sender = " ".join((sender_text or "").split())
    if brand is None and not sender:
        errors["brand"] = _("İletiyi gönderen markayı, adı, kısa numarayı ya da telefon numarasını yazın.")
    elif brand is None and len(sender) > SENDER_TEXT_MAX:
        errors["brand"] = _("Gönderici en fazla %(max)d karakter olabilir.") % {"max": SENDER_TEXT_MAX}
    if address.citizen_id != citizen.pk or not address.is_active:
        errors["address"] = _("Bu adres hesabınıza doğrulanmış bir adres değil.")
    elif channel not in CHANNELS_FOR_KIND[address.kind]:
        errors["channel"] = (
            _("Telefon numarasına yalnız SMS (MESAJ) veya sesli arama (ARAMA) gelir.")
            if address.kind == "phone"
            else _("E-posta adresine yalnız e-posta (EPOSTA) gelir.")
        )
    if received_at > now:
        errors["received_at"] = _("İletinin alındığı an gelecekte olamaz.")
    elif received_at < EARLIEST_MESSAGE:
        errors["received_at"] = _("1 Mayıs 2015'ten önce alınan iletiler için şikâyet kaydedilemez.")
    text = (message_text or "").strip()
    if not text:
        errors["message_text"] = _("İleti metnini yazın (hatırladığınız kadarı yeterli).")
    elif len(text) > MESSAGE_TEXT_MAX:
        errors["message_text"] = _("İleti metni en fazla %(max)d karakter olabilir.") % {"max": MESSAGE_TEXT_MAX}
    if errors:
        raise ValidationError(errors)

    if brand is not None:
        snapshot = complaint_snapshot(brand=brand, recipient=address.value, channel=channel, moment=received_at)
    else:
        snapshot = ConsentSnapshot(SnapshotStatus.NO_RECORD, "", "", None, None, False)
    with transaction.atomic():
        complaint = Complaint.objects.create(
            citizen=citizen,
            address=address,
            recipient=address.value,
            brand=brand,
            sender_text="" if brand is not None else sender,
            channel=channel,
            received_at=received_at,
            message_text=text,
            snapshot_status=snapshot.status,
            snapshot_recipient_type=snapshot.recipient_type,
            snapshot_source=snapshot.source,
            snapshot_consent_date=snapshot.consent_date,
            snapshot_event=snapshot.event,
            snapshot_allowed=snapshot.allowed,
            created_at=now,
            updated_at=now,
        )
        ComplaintEvent.objects.create(
            complaint=complaint,
            action=ComplaintEvent.Action.FILED,
            to_status=ComplaintStatus.NEW,
            actor_label=citizen.label,
            created_at=now,
        )
    return complaint


def complaint_update(
    *,
    complaint_id: int,
    operator: AbstractBaseUser,
    status: str | None = None,
    assigned_to: AbstractBaseUser | None = _UNSET,
    operator_notes: str | None = None,
    now: dt.datetime | None = None,
) -> Complaint:
    """An operator changes the status, the assignee or the notes; each change leaves an event row.

    Returns the complaint unchanged (no write, no event) when nothing differs.
    """
    if status is not None and status not in ComplaintStatus.values:
        raise ValidationError({"status": _("Geçersiz şikâyet durumu: %(value)s") % {"value": status}})
    now = now or timezone.now()
    label = operator.get_username()
    with transaction.atomic():
        complaint = Complaint.objects.select_for_update().get(pk=complaint_id)
        events: list[ComplaintEvent] = []
        if status is not None and status != complaint.status:
            events.append(
                ComplaintEvent(
                    action=ComplaintEvent.Action.STATUS, from_status=complaint.status, to_status=status
                )
            )
            complaint.status = status
        if assigned_to is not _UNSET and (assigned_to.pk if assigned_to else None) != complaint.assigned_to_id:
            detail = assigned_to.get_username() if assigned_to else _("atama kaldırıldı")
            events.append(ComplaintEvent(action=ComplaintEvent.Action.ASSIGN, detail=detail))
            complaint.assigned_to = assigned_to
        if operator_notes is not None and operator_notes != complaint.operator_notes:
            events.append(ComplaintEvent(action=ComplaintEvent.Action.NOTE, detail=operator_notes))
            complaint.operator_notes = operator_notes
        if not events:
            return complaint
        complaint.updated_at = now
        complaint.save(update_fields=["status", "assigned_to", "operator_notes", "updated_at"])
        for event in events:
            event.complaint = complaint
            event.actor_user = operator
            event.actor_label = label
            event.created_at = now
        ComplaintEvent.objects.bulk_create(events)
    return complaint
