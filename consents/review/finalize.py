"""The citizen review window: finalising declared consents whose review ended (SPEC §4).

A declared consent is ONAY with `review_until` set. Once `review_until` has passed and the citizen did
not reject it, it becomes final: `finalized_at` is set and one FINALIZE history row is written.

Finalising is not a movement of the consent (status, date and source stay; no new transaction id on
the consent; `updated_at` keeps the time of the last movement): the portal and the admin show the
FINALIZE row, İYS's history and change-feed endpoints leave it out, as İYS knows no such movement.

The work is set-based and chunked. On PostgreSQL one chunk is one statement in one short transaction:
it picks due rows with `FOR UPDATE SKIP LOCKED` (rows a citizen is rejecting right now are skipped,
never waited for), re-checks `status = 'ONAY' AND finalized_at IS NULL` under the row lock (a rejection
that committed a moment before wins) and inserts the history rows from the UPDATE's RETURNING. Running it
twice, or in two workers at once, finalises each consent once; a crash loses at most the open chunk,
which rolls back and is picked up by the next run.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from consents import counts
from consents.models import ActorKind, Consent, ConsentEvent, EventAction, Status, Via, new_transaction_id

logger = logging.getLogger(__name__)

FINALIZER_REF = "finalize_reviews"
FINALIZER_LABEL = "Beyan kesinleştirme görevi"
DEFAULT_CHUNK_SIZE = 1000

# One statement per chunk. `picked` locks due rows (skipping rows locked elsewhere, e.g. by a citizen's
# rejection in progress); the UPDATE re-checks the state under that lock; the INSERT writes one history
# row per consent actually finalised. ORDER BY review_until walks the partial index consent_review_due_idx.
_FINALIZE_CHUNK_SQL = f"""
WITH picked AS (
    SELECT id FROM consents_consent
    WHERE review_until IS NOT NULL AND finalized_at IS NULL AND review_until < %(now)s AND status = 'ONAY'
    ORDER BY review_until
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
), done AS (
    UPDATE consents_consent AS c
    SET finalized_at = %(now)s
    FROM picked
    WHERE c.id = picked.id AND c.status = 'ONAY' AND c.finalized_at IS NULL
    RETURNING c.id, c.brand_id, c.recipient, c.recipient_type, c.channel, c.status, c.source,
              c.consent_date, c.retailer_id, c.review_until, c.declaration_period_id
), history AS (
    INSERT INTO consents_consentevent (
        consent_id, brand_id, recipient, recipient_type, channel, action, previous_status, status, source,
        consent_date, created_at, transaction_id, retailer_id, actor_kind, actor_user_id, actor_ref,
        actor_label, via, late_report, review_until
    )
    SELECT id, brand_id, recipient, recipient_type, channel, '{EventAction.FINALIZE.value}', status, status,
           source, consent_date, %(now)s, replace(gen_random_uuid()::text, '-', ''), retailer_id,
           '{ActorKind.SYSTEM.value}', NULL, %(ref)s, %(label)s, '{Via.SYSTEM.value}', false, review_until
    FROM done
)
-- What left each pending-review count (consents.counts): one row per brand, channel, type and period.
SELECT brand_id, channel, recipient_type, COALESCE(declaration_period_id, -1), count(*) FROM done
GROUP BY brand_id, channel, recipient_type, declaration_period_id
"""


@dataclass(slots=True)
class FinalizeReport:
    """What one run did: how many consents became final, in how many chunks, the longest chunk."""

    finalized: int = 0
    chunks: int = 0
    longest_chunk_s: float = 0.0
    chunk_durations: list[float] = field(default_factory=list)
    more: bool = False  # stopped on the time/chunk budget with due rows possibly left

    def add(self, count: int, seconds: float) -> None:
        self.finalized += count
        self.chunks += 1
        self.chunk_durations.append(seconds)
        self.longest_chunk_s = max(self.longest_chunk_s, seconds)

    def as_dict(self) -> dict[str, float | int | bool]:
        return {
            "finalized": self.finalized,
            "chunks": self.chunks,
            "longest_chunk_s": round(self.longest_chunk_s, 4),
            "more": self.more,
        }


def chunk_size_default() -> int:
    return int(getattr(settings, "REVIEW_FINALIZE_CHUNK_SIZE", DEFAULT_CHUNK_SIZE))


def due_for_finalisation(*, now: dt.datetime | None = None):
    """Declared consents whose review ended and that nobody rejected: what the finaliser will take."""
    now = now or timezone.now()
    return Consent.objects.filter(
        review_until__isnull=False, finalized_at__isnull=True, review_until__lt=now, status=Status.ONAY
    )


def finalize_chunk(*, now: dt.datetime | None = None, chunk_size: int | None = None) -> tuple[int, float]:
    """Finalise up to `chunk_size` due consents in one short transaction. Returns (count, seconds)."""
    now = now or timezone.now()
    limit = chunk_size or chunk_size_default()
    started = time.perf_counter()
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            # The chunk need not wait for its WAL flush: if the database server crashes within the next
            # fraction of a second, the chunk is simply not final yet and the next run redoes it (the work
            # is idempotent and nothing outside the database depends on it). Safe here, not in general.
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
            cursor.execute(
                _FINALIZE_CHUNK_SQL, {"now": now, "limit": limit, "ref": FINALIZER_REF, "label": FINALIZER_LABEL}
            )
            left = cursor.fetchall()
            count = sum(row[-1] for row in left)
            counts.add(_finalised_changes(left))
    else:
        count = _finalize_chunk_orm(now=now, limit=limit)
    return count, time.perf_counter() - started


def _finalised_changes(left) -> dict:
    """Finalised consents leave their period's pending count for the plain ONAY count of their key."""
    changes: Counter = Counter()
    for brand_id, channel, recipient_type, period, n in left:
        changes[(brand_id, channel, recipient_type, Status.ONAY, period)] -= n
        changes[(brand_id, channel, recipient_type, Status.ONAY, 0)] += n
    return changes


def _finalize_chunk_orm(*, now: dt.datetime, limit: int) -> int:
    """The embedded default (SQLite): the same outcome through the ORM.

    SQLite has one writer at a time: the UPDATE takes the write lock, so between it and the history
    insert nobody else can finalise the same rows. The chunk's own timestamp (unique per chunk) tells
    which rows this chunk finalised.
    """
    with transaction.atomic():
        ids = list(due_for_finalisation(now=now).order_by("review_until", "id").values_list("id", flat=True)[:limit])
        if not ids:
            return 0
        stamp = timezone.now()
        updated = Consent.objects.filter(
            id__in=ids, status=Status.ONAY, finalized_at__isnull=True
        ).update(finalized_at=stamp)
        if not updated:
            return 0
        rows = list(Consent.objects.filter(id__in=ids, finalized_at=stamp))
        counts.add(_finalised_changes(
            (*key, n) for key, n in Counter(
                (c.brand_id, c.channel, c.recipient_type, c.declaration_period_id or -1) for c in rows
            ).items()
        ))
        ConsentEvent.objects.bulk_create(
            [
                ConsentEvent(
                    consent_id=c.id, brand_id=c.brand_id, recipient=c.recipient, recipient_type=c.recipient_type,
                    channel=c.channel, action=EventAction.FINALIZE, previous_status=c.status, status=c.status,
                    source=c.source, consent_date=c.consent_date, created_at=stamp,
                    transaction_id=new_transaction_id(), retailer_id=c.retailer_id, actor_kind=ActorKind.SYSTEM,
                    actor_ref=FINALIZER_REF, actor_label=FINALIZER_LABEL, via=Via.SYSTEM,
                    review_until=c.review_until,
                )
                for c in rows
            ],
            batch_size=1000,
        )
        return updated


def finalize_due_reviews(
    *,
    now: dt.datetime | None = None,
    chunk_size: int | None = None,
    max_seconds: float | None = None,
    max_chunks: int | None = None,
) -> FinalizeReport:
    """Finalise due declared consents chunk by chunk until none is left or a budget is used up.

    `now` is fixed for the whole run so a consent whose review ends during the run waits for the next run.
    With a budget, `report.more` says whether the caller should schedule another run.
    """
    now = now or timezone.now()
    report = FinalizeReport()
    limit = chunk_size or chunk_size_default()
    started = time.monotonic()
    while True:
        count, seconds = finalize_chunk(now=now, chunk_size=limit)
        if count == 0:
            break
        report.add(count, seconds)
        if count < limit:
            # A short chunk means the due set is exhausted (or the rest is locked by another worker,
            # which will finalise it).
            break
        if (max_chunks is not None and report.chunks >= max_chunks) or (
            max_seconds is not None and time.monotonic() - started >= max_seconds
        ):
            report.more = True
            break
    if report.finalized:
        logger.info("finalised %s declared consents in %s chunks (longest %.3fs)",
                    report.finalized, report.chunks, report.longest_chunk_s)
    return report
