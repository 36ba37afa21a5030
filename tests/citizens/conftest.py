from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from citizens.auth import CITIZEN_SESSION_KEY
from citizens.models import AddressClaimAction, AddressClaimEvent, Citizen, CitizenAddress
from citizens.sms.backends import locmem
from consents.models import ActorKind, Consent, ConsentEvent, EventAction, Source, Via, new_transaction_id


def last_sms_code(to: str | None = None) -> str:
    """The 6-digit code of the newest SMS (to `to`, if given) in the test outbox."""
    for message in reversed(locmem.outbox):
        if to is None or message.to == to:
            match = re.search(r"\b(\d{6})\b", message.body)
            if match:
                return match.group(1)
    raise AssertionError(f"no code sent to {to}")


@pytest.fixture
def sms_outbox() -> list:
    return locmem.outbox


# --- citizens and consents -----------------------------------------------------------------------

def make_citizen(*values: str) -> Citizen:
    """A citizen holding verified claims on the given (normalised) addresses."""
    citizen = Citizen.objects.create()
    for value in values:
        kind = "email" if "@" in value else "phone"
        CitizenAddress.objects.create(citizen=citizen, value=value, kind=kind, verified_at=timezone.now())
        AddressClaimEvent.objects.create(
            value=value, kind=kind, action=AddressClaimAction.CLAIM, citizen=citizen, reason="test"
        )
    return citizen


def make_consent(
    brand, recipient: str, channel: str = "MESAJ", *, status: str = "ONAY", recipient_type: str = "BIREYSEL",
    declaration_period=None, review_until: dt.datetime | None = None, source: str = Source.HS_WEB,
) -> Consent:
    """A stored consent with its history row, written directly (fixtures, not the rules under test)."""
    now = timezone.now()
    tx = new_transaction_id()
    consent = Consent.objects.create(
        brand=brand, recipient=recipient, recipient_type=recipient_type, channel=channel, status=status,
        source=source, consent_date=now - dt.timedelta(days=1), created_at=now, updated_at=now, transaction_id=tx,
        declaration_period=declaration_period, review_until=review_until,
    )
    ConsentEvent.objects.create(
        consent=consent, brand=brand, recipient=recipient, recipient_type=recipient_type, channel=channel,
        action=EventAction.CREATE, status=status, source=source, consent_date=consent.consent_date,
        created_at=now, transaction_id=tx, actor_kind=ActorKind.PROVIDER, actor_label="fixture", via=Via.UPLOAD,
        review_until=review_until,
    )
    return consent


def sign_in_client(client, citizen: Citizen):
    session = client.session
    session[CITIZEN_SESSION_KEY] = citizen.pk
    session.save()
    return client
