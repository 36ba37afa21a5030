"""The per-brand hash chain over the consent history, sealed lazily and verified on demand.

Why lazily: history rows are inserted by single writes and set-based bulk paths, often concurrently for one
brand; chaining at insert time would serialise every writer on the brand's chain head (and give the bulk paths
a per-row step). Instead one sealer (under an advisory lock) walks the committed rows nobody has sealed yet in
id order, appends each to its brand's chain and writes the links in bulk: one read and one write per batch of
rows, no per-row round trip. A row that commits late (a long transaction holding a lower id) is simply
appended later, so a chain's order is its `seq`, not the row id.

Canonical form of a row (what its link hashes): the JSON array of the fields of the link's chain version
(FIELDS_BY_VERSION) in that order, compact (`,` and `:` separators, UTF-8, no ASCII escaping), datetimes as UTC
`YYYY-MM-DDTHH:MM:SS.ffffffZ`, booleans as true/false, missing values as null.
`hash = sha384(previous hash + "|" + canonical).hexdigest()`; the first link of a brand has previous hash "".

Versions: links made before 2 hash the 21 fields of version 1; version 2 adds `overrides_citizen_rejection`
and `evidence_note` at the end. Each link stores its version, so old chains still verify; a chain never goes
back to an older version (verify_brand reports it), so a link cannot be re-labelled to hash fewer fields.

Speed: on PostgreSQL the rows' canonical text is built by the database in the read query (to_json per field:
the same escaping as Python's json, checked by tests/consents/ledger/test_chain.py), Python only hashes, and the
links go back with COPY; no ORM objects per row. SQLite builds the text in Python and bulk-inserts.
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

FIELDS_V1 = (
    "id", "brand_id", "consent_id", "recipient", "recipient_type", "channel", "action", "previous_status",
    "status", "source", "consent_date", "created_at", "transaction_id", "retailer_id", "actor_kind",
    "actor_user_id", "actor_ref", "actor_label", "via", "late_report", "review_until",
)
FIELDS_BY_VERSION = {1: FIELDS_V1, 2: (*FIELDS_V1, "overrides_citizen_rejection", "evidence_note")}
CHAIN_VERSION = 2  # what new links are made with
CANONICAL_FIELDS = FIELDS_BY_VERSION[CHAIN_VERSION]
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
SEAL_LOCK_KEY = 0x1CE7_5EA1  # pg_advisory_xact_lock key of the sealer
BATCH = 5000
PG_BATCH = 20_000  # no ORM objects per row on PostgreSQL: bigger batches, fewer round trips


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


def seal_pending(*, batch: int | None = None, now: dt.datetime | None = None) -> int:
    """Append every committed, unsealed history row to its brand's chain; returns how many were sealed."""
    batch = batch or (PG_BATCH if connection.vendor == "postgresql" else BATCH)
    sealed = 0
    after = 0  # within one run, later batches start above the last row read: no rescan of what was read
    while True:
        read, count, after = _seal_batch(batch=batch, now=now or timezone.now(), after=after)
        sealed += count
        if read < batch:
            return sealed


def _sql_canonical() -> str:
    """The canonical JSON array of CANONICAL_FIELDS as a PostgreSQL text expression over `e` (the history
    table). to_json escapes text exactly as Python's json.dumps(ensure_ascii=False) does: quote, backslash,
    the five short escapes and other control characters as a lower-case \\u00xx, nothing else."""
    parts = []
    for name in CANONICAL_FIELDS:
        field = ConsentEvent._meta.get_field(name)
        column = f'e."{field.column}"'
        if field.get_internal_type() == "DateTimeField":
            column = f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""
        parts.append(f"coalesce(to_json({column})::text, 'null')")
    return "'[' || " + " || ',' || ".join(parts) + " || ']'"


def _candidates(*, above: int, batch: int) -> list[tuple[int, int, str]]:
    """(event id, brand id, canonical text) of the next `batch` history rows above an id, in id order."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(ConsentEvent._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT e.id, e.brand_id, {_sql_canonical()} FROM {table} e WHERE e.id > %s ORDER BY e.id LIMIT %s",
                [above, batch],
            )
            return cursor.fetchall()
    rows = ConsentEvent.objects.filter(id__gt=above).order_by("id").values_list(*CANONICAL_FIELDS)[:batch]
    return [(row[0], row[1], canonical(row)) for row in rows]


def _linked(event_ids: list[int]) -> set[int]:
    """Which of these rows already have a link (sealed by an earlier pass above the watermark)."""
    if connection.vendor == "postgresql":
        # One array parameter: an IN list of 20,000 ORM parameters costs more Python than the query itself.
        table = connection.ops.quote_name(HistoryLink._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT event_id FROM {table} WHERE event_id = ANY(%s)", [event_ids])
            return {row[0] for row in cursor.fetchall()}
    return set(HistoryLink.objects.filter(event_id__in=event_ids).values_list("event_id", flat=True))


def _write_links(links: list[tuple[int, int, int, str]], now: dt.datetime) -> None:
    """(event id, brand id, seq, hash) rows into the link table: COPY on PostgreSQL, bulk INSERT elsewhere."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(HistoryLink._meta.db_table)
        with connection.cursor() as cursor, cursor.copy(
            f"COPY {table} (event_id, brand_id, seq, hash, sealed_at, version) FROM STDIN"
        ) as copy:  # psycopg 3's COPY through Django's cursor wrapper
            for event_id, brand_id, seq, digest in links:
                copy.write_row((event_id, brand_id, seq, digest, now, CHAIN_VERSION))
        return
    HistoryLink.objects.bulk_create(
        [HistoryLink(event_id=e, brand_id=b, seq=q, hash=h, sealed_at=now, version=CHAIN_VERSION)
         for e, b, q, h in links],
        batch_size=1000,
    )


@transaction.atomic
def _seal_batch(*, batch: int, now: dt.datetime, after: int) -> tuple[int, int, int]:
    """(rows read, rows sealed, last id read). Reads by primary-key range and drops the rows already linked
    (one index lookup per batch) instead of an anti-join, whose plan rescans the link table every batch."""
    _lock()
    state, _ = SealState.objects.select_for_update().get_or_create(id=1)
    candidates = _candidates(above=max(state.sealed_through_id, after), batch=batch)
    linked = _linked([r[0] for r in candidates]) if candidates else set()
    rows = [r for r in candidates if r[0] not in linked]
    if rows:
        brand_ids = {row[1] for row in rows}
        known = set(ChainHead.objects.filter(brand_id__in=brand_ids).values_list("brand_id", flat=True))
        ChainHead.objects.bulk_create([ChainHead(brand_id=b) for b in brand_ids - known])
        heads = {h.brand_id: h for h in ChainHead.objects.select_for_update().filter(brand_id__in=brand_ids)}
        chain = {b: [h.seq, h.hash] for b, h in heads.items()}
        links = []
        sha384 = hashlib.sha384
        for event_id, brand_id, text in rows:
            head = chain[brand_id]
            head[0] += 1
            head[1] = sha384(f"{head[1]}|{text}".encode()).hexdigest()
            links.append((event_id, brand_id, head[0], head[1]))
        _write_links(links, now)
        for brand_id, head in heads.items():
            head.seq, head.hash = chain[brand_id]
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
    """(seq, link hash, chain version, *event values of the newest version) in seq order, in batches."""
    fields = [f"event__{f}" if f != "id" else "event_id" for f in CANONICAL_FIELDS]
    last = from_seq - 1
    while True:
        chunk = list(
            HistoryLink.objects.filter(brand_id=brand_id, seq__gt=last)
            .order_by("seq")
            .values_list("seq", "hash", "version", *fields)[:BATCH]
        )
        yield from chunk
        if len(chunk) < BATCH:
            return
        last = chunk[-1][0]


def verify_brand(brand_id: int, *, since: dt.datetime | None = None) -> Broken | None:
    """Recompute a brand's chain (from the first link of a row created at or after `since`, trusting the link
    before it) and name the first link that breaks: an altered row, a missing link, a link whose version went
    back, a wrong head."""
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
    previous, version_before = "", 1
    if first_seq > 1:
        before = HistoryLink.objects.filter(brand_id=brand_id, seq=first_seq - 1).values_list("hash", "version").first()
        previous, version_before = before or ("", 1)
    expected_seq = first_seq
    tx_index = CANONICAL_FIELDS.index("transaction_id")
    for seq, stored, version, *row in _links(brand_id, first_seq):
        event_id, transaction_id = row[0], row[tx_index]
        if seq != expected_seq:
            return Broken(brand_id, expected_seq, None, "", "missing")
        fields = FIELDS_BY_VERSION.get(version)
        if fields is None or version < version_before:
            return Broken(brand_id, seq, event_id, transaction_id or "", "version")
        if link_hash(previous, row[: len(fields)]) != stored:
            return Broken(brand_id, seq, event_id, transaction_id or "", "altered")
        previous, expected_seq, version_before = stored, seq + 1, version
    head = ChainHead.objects.filter(brand_id=brand_id).values_list("seq", "hash").first()
    if head is not None and (head[0] != expected_seq - 1 or (head[0] and head[1] != previous)):
        return Broken(brand_id, expected_seq - 1, None, "", "head")
    return None


def link_at(brand_id: int, seq: int) -> str | None:
    return HistoryLink.objects.filter(brand_id=brand_id, seq=seq).values_list("hash", flat=True).first()
