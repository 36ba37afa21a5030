"""Movements on a past day, recorded through the real service at that moment."""
from __future__ import annotations

import datetime as dt

import pytest

from consents.actors import Actor
from consents.ledger.daily import istanbul_today
from consents.models import RecipientType, Source, Status, Via
from consents.rules import ISTANBUL
from consents.services import consent_record


@pytest.fixture
def yesterday() -> dt.date:
    return istanbul_today() - dt.timedelta(days=1)


@pytest.fixture
def move(provider_actor: Actor):
    """move(brand, day, "10:00:00", recipient, status=..., channel=..., source=...) -> the result."""

    def _move(brand, day, clock, recipient, *, status=Status.ONAY, channel="MESAJ",
              recipient_type=RecipientType.BIREYSEL, source=Source.HS_WEB, actor=None):
        at = dt.datetime.combine(day, dt.time.fromisoformat(clock), tzinfo=ISTANBUL)
        return consent_record(
            brand=brand, recipient=recipient, recipient_type=recipient_type, channel=channel, status=status,
            source=source, consent_date=at - dt.timedelta(minutes=30), actor=actor or provider_actor,
            via=Via.WEB, now=at,
        )

    return _move
