"""'My data': everything the registry holds about the citizen's addresses, as JSON and CSV."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from consents.models import ActorKind, Consent, ConsentEvent, EventAction, RecipientType, Source, Status, Via
from consents.spreadsheets import neutralise_cell
from providers.models import Channel

from .models import AddressClaimEvent, Citizen
from .selectors import active_addresses, consents_of_citizen

# Column names of the CSV in the citizen's language (the JSON keeps stable English keys for programs).
CSV_COLUMNS = [
    _("Hizmet sağlayıcı"), _("Marka"), _("Marka kodu"), _("Alıcı"), _("Alıcı tipi"), _("Kanal"), _("Güncel durum"),
    _("Hareket no"), _("Hareket"), _("Önceki durum"), _("Durum"), _("Kaynak"), _("İzin tarihi"),
    _("Kayıt zamanı"), _("İşlemi yapan"), _("İşlem yolu"), _("İşlem numarası"),
]


def _labelled(choices: type[models.TextChoices], value: str | None) -> str:
    """A code as a person reads it: its label, with the code itself for reference ("Web sitesi (HS_WEB)")."""
    if not value:
        return ""
    label = str(dict(choices.choices).get(value, value))
    return value if label == value else f"{label} ({value})"


def _moment(value: Any) -> str:
    return "" if value is None else formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")


def _iso(value: Any) -> str | None:
    return None if value is None else timezone.localtime(value).isoformat()


def _event(event: ConsentEvent) -> dict[str, Any]:
    return {
        "id": event.pk,
        "action": event.action,
        "previous_status": event.previous_status,
        "status": event.status,
        "source": event.source,
        "consent_date": _iso(event.consent_date),
        "created_at": _iso(event.created_at),
        "actor_kind": event.actor_kind,
        "via": event.via,
        "transaction_id": event.transaction_id,
    }


def _consent(consent: Consent) -> dict[str, Any]:
    return {
        "provider": consent.brand.provider.name,
        "brand": consent.brand.name,
        "brand_code": consent.brand.brand_code,
        "recipient": consent.recipient,
        "recipient_type": consent.recipient_type,
        "channel": consent.channel,
        "status": consent.status,
        "source": consent.source,
        "consent_date": _iso(consent.consent_date),
        "created_at": _iso(consent.created_at),
        "retailer": consent.retailer.name if consent.retailer_id else None,
        "under_review": consent.under_review,
        "review_until": _iso(consent.review_until) if consent.under_review else None,
        "history": [_event(e) for e in consent.events.all()],
    }


def my_data(citizen: Citizen) -> dict[str, Any]:
    addresses = list(active_addresses(citizen).order_by("kind", "value"))
    values = [a.value for a in addresses]
    claims = AddressClaimEvent.objects.filter(citizen=citizen).order_by("id")
    return {
        "generated_at": _iso(timezone.now()),
        "citizen": {"id": citizen.pk, "created_at": _iso(citizen.created_at)},
        "addresses": [
            {"value": a.value, "kind": a.kind, "verified_at": _iso(a.verified_at)} for a in addresses
        ],
        "address_history": [
            {"value": c.value, "action": c.action, "reason": c.reason, "at": _iso(c.created_at)} for c in claims
        ],
        "consents": [_consent(c) for c in consents_of_citizen(citizen, values=values).select_related("retailer")],
    }


def my_data_csv_rows(citizen: Citizen) -> Iterator[str]:
    """One CSV line per history row (current status repeated), UTF-8 with BOM so Excel reads Turkish letters."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
        return text

    yield "\ufeff"
    writer.writerow([str(column) for column in CSV_COLUMNS])
    yield flush()
    for consent in consents_of_citizen(citizen):
        for event in consent.events.all():
            # Brand and provider names are typed by businesses: a formula there must stay text.
            writer.writerow([neutralise_cell(cell) for cell in (
                consent.brand.provider.name, consent.brand.name, consent.brand.brand_code, consent.recipient,
                _labelled(RecipientType, consent.recipient_type), _labelled(Channel, consent.channel),
                _labelled(Status, consent.status), event.pk, _labelled(EventAction, event.action),
                _labelled(Status, event.previous_status), _labelled(Status, event.status),
                _labelled(Source, event.source), _moment(event.consent_date), _moment(event.created_at),
                _labelled(ActorKind, event.actor_kind), _labelled(Via, event.via), event.transaction_id,
            )])
        yield flush()
