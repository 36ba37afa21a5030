"""The per-brand hash chain over the consent history, sealed lazily and verified on demand.

Why lazily: history rows are inserted by single writes and set-based bulk paths, often concurrently for one
brand; chaining at insert time would serialise every writer on the brand's chain head (and give the bulk paths
a per-row step). Instead one sealer (under an advisory lock) walks the committed rows nobody has sealed yet in
id order, appends each to its brand's chain and writes the links in bulk: one read and one insert per batch of
rows, no per-row round trip. A row that commits late (a long transaction holding a lower id) is simply
appended later, so a chain's order is its `seq`, not the row id.

Canonical form of a row (what its link hashes): the JSON array of CANONICAL_FIELDS in that order, compact
(`,` and `:` separators, UTF-8, no ASCII escaping), datetimes as UTC `YYYY-MM-DDTHH:MM:SS.ffffffZ`, booleans as
true/false, missing values as null. `hash = sha384(previous hash + "|" + canonical).hexdigest()`; the first
link of a brand has previous hash "".
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from consents.models import ChainHead, ConsentEvent, HistoryLink, SealState

CANONICAL_FIELDS = (
    "id", "brand_id", "consent_id", "recipient", "recipient_type", "channel", "action", "previous_status",
    "status", "source", "consent_date", "created_at", "transaction_id", "retailer_id", "actor_kind",
    "actor_user_id", "actor_ref", "actor_label", "via", "late_report", "review_until",
)
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
SEAL_LOCK_KEY = 0x1CE7_5EA1  # pg_advisory_xact_lock key of the sealer
BATCH = 5000


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


def canonical(row: Iterable[Any]) -> str:
    """A row's values in CANONICAL_FIELDS order, as the compact JSON array its link hashes."""
    return _ENCODER.encode([_plain(v) for v in row])


def link_hash(previous: str, row: Iterable[Any]) -> str:
    return hashlib.sha384((previous + "|" + canonical(row)).encode()).hexdigest()


def safe_after() -> dt.timedelta:
    """Rows older than this are committed for sure (longer than any transaction may run: task limit 30 min)."""
    return dt.timedelta(seconds=int(getattr(settings, "HISTORY_SEAL_SAFE_AFTER_S", 3600)))


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEAL_LOCK_KEY])


def seal_pending(*, batch: int = BATCH, now: dt.datetime | None = None) -> int:
    """Append every committed, unsealed history row to its brand's chain; returns how many were sealed."""
    sealed = 0
    after = 0  # within one run, later batches start above the last row read: no rescan of what was read
    while True:
        read, count, after = _seal_batch(batch=batch, now=now or timezone.now(), after=after)
        sealed += count
        if read < batch:
            return sealed


@transaction.atomic
def _seal_batch(*, batch: int, now: dt.datetime, after: int) -> tuple[int, int, int]:
    """(rows read, rows sealed, last id read). Reads by primary-key range and drops the rows already linked
    (one index lookup per batch) instead of an anti-join, whose plan rescans the link table every batch."""
    _lock()
    state, _ = SealState.objects.select_for_update().get_or_create(id=1)
    candidates = list(
        ConsentEvent.objects.filter(id__gt=max(state.sealed_through_id, after))
        .order_by("id")
        .values_list(*CANONICAL_FIELDS)[:batch]
    )
    linked = set(
        HistoryLink.objects.filter(event_id__in=[r[0] for r in candidates]).values_list("event_id", flat=True)
    ) if candidates else set()
    rows = [r for r in candidates if r[0] not in linked]
    if rows:
        brand_ids = {row[1] for row in rows}
        known = set(ChainHead.objects.filter(brand_id__in=brand_ids).values_list("brand_id", flat=True))
        ChainHead.objects.bulk_create([ChainHead(brand_id=b) for b in brand_ids - known])
        heads = {h.brand_id: h for h in ChainHead.objects.select_for_update().filter(brand_id__in=brand_ids)}
        links = []
        for row in rows:
            head = heads[row[1]]
            head.seq += 1
            head.hash = link_hash(head.hash, row)
            links.append(HistoryLink(event_id=row[0], brand_id=row[1], seq=head.seq, hash=head.hash, sealed_at=now))
        HistoryLink.objects.bulk_create(links, batch_size=batch)
        ChainHead.objects.bulk_update(list(heads.values()), ["seq", "hash", "updated_at"], batch_size=1000)
    if len(candidates) < batch:
        # Everything visible above the watermark is sealed now; rows old enough to be surely committed
        # need not be looked at again.
        settled = (
            ConsentEvent.objects.filter(id__gt=state.sealed_through_id, created_at__lt=now - safe_after())
            .order_by("-id")
            .values_list("id", flat=True)
            .first()
        )
        if settled is not None and not ConsentEvent.objects.filter(
            id__gt=state.sealed_through_id, id__lte=settled, link__isnull=True
        ).exists():
            state.sealed_through_id = settled
            state.save(update_fields=["sealed_through_id", "updated_at"])
    return len(candidates), len(rows), candidates[-1][0] if candidates else after


@dataclass(frozen=True, slots=True)
class Broken:
    """The first link of a brand's chain that does not hold, and why."""

    brand_id: int
    seq: int
    event_id: int | None
    transaction_id: str
    reason: str


def _links(brand_id: int, from_seq: int) -> Iterator[tuple]:
    """(seq, link hash, event id, *event values) in seq order, in batches."""
    fields = [f"event__{f}" if f != "id" else "event_id" for f in CANONICAL_FIELDS]
    last = from_seq - 1
    while True:
        chunk = list(
            HistoryLink.objects.filter(brand_id=brand_id, seq__gt=last)
            .order_by("seq")
            .values_list("seq", "hash", *fields)[:BATCH]
        )
        yield from chunk
        if len(chunk) < BATCH:
            return
        last = chunk[-1][0]


def verify_brand(brand_id: int, *, since: dt.datetime | None = None) -> Broken | None:
    """Recompute a brand's chain (from the first link of a row created at or after `since`, trusting the link
    before it) and name the first link that breaks: an altered row, a missing link, a wrong head."""
    first_seq = 1
    if since is not None:
        start = (
            HistoryLink.objects.filter(brand_id=brand_id, event__created_at__gte=since)
            .order_by("seq")
            .values_list("seq", flat=True)
            .first()
        )
        if start is None:
            return None
        first_seq = start
    previous = ""
    if first_seq > 1:
        previous = HistoryLink.objects.filter(brand_id=brand_id, seq=first_seq - 1).values_list("hash", flat=True).first() or ""
    expected_seq = first_seq
    for seq, stored, *row in _links(brand_id, first_seq):
        event_id, transaction_id = row[0], row[CANONICAL_FIELDS.index("transaction_id")]
        if seq != expected_seq:
            return Broken(brand_id, expected_seq, None, "", "missing")
        recomputed = link_hash(previous, row)
        if recomputed != stored:
            return Broken(brand_id, seq, event_id, transaction_id or "", "altered")
        previous, expected_seq = stored, seq + 1
    head = ChainHead.objects.filter(brand_id=brand_id).values_list("seq", "hash").first()
    if head is not None and (head[0] != expected_seq - 1 or (head[0] and head[1] != previous)):
        return Broken(brand_id, expected_seq - 1, None, "", "head")
    return None


def link_at(brand_id: int, seq: int) -> str | None:
    return HistoryLink.objects.filter(brand_id=brand_id, seq=seq).values_list("hash", flat=True).first()
