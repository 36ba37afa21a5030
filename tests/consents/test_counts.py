"""The dashboard's running totals agree with a recount after every kind of write (consents.counts)."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from consents import counts
from consents.actors import Actor
from consents.models import Via
from consents.review.finalize import finalize_due_reviews
from consents.services import consent_approve_by_citizen, consent_record, consent_reject_by_citizen
from consents.uploads.services import upload_process
from providers.selectors import compute_dashboard_numbers
from tests import factories

from .review.support import declare, future_period, past_period
from .uploads.helpers import csv_text, make_upload, recent

# Also run on the embedded default's SQLite by scripts/test (marker `sqlite`): its own upload path and finaliser.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.sqlite]


def agree(*brands) -> tuple[dict, dict]:
    brand_ids = [b.pk for b in brands]
    kept = counts.totals(brand_ids=brand_ids)
    assert kept == counts.recounted(brand_ids=brand_ids)
    return kept


def upload(brand, user, *rows: str):
    done = upload_process(upload_id=make_upload(brand=brand, user=user, content=csv_text(*rows)).pk)
    assert done is not None and done.state == "DONE", done and done.state
    return done


def test_totals_follow_every_write_path(brand, owner, provider_actor):
    other = factories.BrandFactory(provider=brand.provider)
    citizen = Actor.citizen(None, "Vatandaş")
    agree(brand, other)

    # The single-consent service: first records, a change, a TACIR first record without date or source.
    for recipient, channel in (("+905321110001", "MESAJ"), ("+905321110002", "ARAMA"), ("a@example.com", "EPOSTA")):
        consent_record(brand=brand, recipient=recipient, recipient_type="BIREYSEL", channel=channel, status="ONAY",
                       source="HS_WEB", consent_date=recent(5), actor=provider_actor, via=Via.WEB)
    consent_record(brand=other, recipient="+905321110009", recipient_type="TACIR", channel="MESAJ", status="ONAY",
                   actor=provider_actor, via=Via.API)
    agree(brand, other)
    consent_record(brand=brand, recipient="+905321110002", recipient_type="BIREYSEL", channel="ARAMA", status="RET",
                   source="HS_WEB", consent_date=recent(1), actor=provider_actor, via=Via.WEB)
    kept, moved = agree(brand, other)
    assert kept[(brand.pk, "ARAMA", "BIREYSEL", "RET", 0)] == 1
    assert sum(n for (b, _, status, _), n in moved.items() if b == brand.pk and status == "ONAY") == 3

    # A citizen's rejection (every recipient type) and re-approval.
    consent_reject_by_citizen(brand=brand, recipient="+905321110001", channel="MESAJ", source="IYS_WEB",
                              actor=citizen, via=Via.WEB)
    agree(brand, other)
    consent_approve_by_citizen(brand=brand, recipient="+905321110001", channel="MESAJ", source="IYS_WEB",
                               actor=citizen, via=Via.WEB)
    _, moved = agree(brand, other)
    assert any(by_citizen for (_, _, _, by_citizen) in moved)

    # Declarations under review: one whose review ended, one still running; a citizen rejects another.
    ended, running = past_period(), future_period()
    for n, period in enumerate((ended, ended, running)):
        declare(brand=brand, period=period, recipient=f"+90532222000{n}", actor=provider_actor)
    kept, _ = agree(brand, other)
    assert kept[(brand.pk, "MESAJ", "BIREYSEL", "ONAY", ended.pk)] == 2
    consent_reject_by_citizen(brand=brand, recipient="+905322220001", channel="MESAJ", source="IYS_WEB",
                              actor=citizen, via=Via.WEB)
    kept, _ = agree(brand, other)
    assert kept[(brand.pk, "MESAJ", "BIREYSEL", "ONAY", ended.pk)] == 1

    # The finaliser: the ended period's declaration leaves the pending count.
    assert finalize_due_reviews().finalized == 1
    kept, _ = agree(brand, other)
    assert (brand.pk, "MESAJ", "BIREYSEL", "ONAY", ended.pk) not in kept
    assert kept[(brand.pk, "MESAJ", "BIREYSEL", "ONAY", running.pk)] == 1

    # The set-based upload: first records, then changes (one of a declaration under review), refusals.
    d = (timezone.localtime() - dt.timedelta(hours=3)).strftime("%Y-%m-%d %H:%M:%S")
    upload(brand, owner,
           f"05323330001,BIREYSEL,MESAJ,ONAY,{d},HS_WEB",
           f"05323330002,TACIR,ARAMA,ONAY,{d},HS_WEB",
           f"kisi@example.com,BIREYSEL,EPOSTA,ONAY,{d},HS_WEB",
           f"05323330009,BIREYSEL,MESAJ,RET,{d},HS_WEB")  # H175: a first record cannot be RET
    agree(brand, other)
    later = recent(1)
    upload(brand, owner,
           f"05323330001,BIREYSEL,MESAJ,RET,{later},HS_WEB",
           f"05322220002,BIREYSEL,MESAJ,RET,{later},HS_WEB",  # the running period's declaration
           f"05321110002,BIREYSEL,ARAMA,ONAY,{later},HS_WEB",
           f"05323330002,TACIR,ARAMA,ONAY,{later},HS_WEB")  # unchanged
    kept, _ = agree(brand, other)
    assert (brand.pk, "MESAJ", "BIREYSEL", "ONAY", running.pk) not in kept

    # What the dashboard shows is these totals.
    numbers = compute_dashboard_numbers(brand_ids=[brand.pk, other.pk])
    assert numbers.pending_review == 0
    assert sum(n for by in numbers.by_channel.values() for n in by.values()) == sum(kept.values())

    # Compaction (PostgreSQL: the sessions' rows folded into one per key) keeps every total.
    counts.compact()
    assert agree(brand, other) == (kept, counts.recounted(brand_ids=[brand.pk, other.pk])[1])
