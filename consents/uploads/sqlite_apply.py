"""The SQLite fast path (the embedded default): each chunk staged and applied with set-based SQL.

The same shape as `pg_apply`, in SQLite's dialect: the chunk's rows go into a temporary staging
table, `_CLASSIFY` mirrors `consents.rules.check_transition` (H194 duplicate in the file, H408,
H175, H462, H463, unchanged, H178) exactly like pg_apply's, and one
`INSERT … ON CONFLICT … DO UPDATE … WHERE … RETURNING` writes the consents, its RETURNING rows
feeding the history (SQLite has no data-modifying CTEs, so the history rows are one executemany).
tests/consents/test_rule_agreement.py runs on SQLite too (config.settings.test_sqlite) to keep the
two paths in step with the single-consent service.

One connection, one short IMMEDIATE transaction per chunk (settings: transaction_mode), which holds
SQLite's single write lock for the chunk only: pages of other users wait at most that long (busy
timeout) instead of failing with "database is locked". Needs SQLite ≥ 3.35 (RETURNING).
"""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections import Counter
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from consents import counts
from consents.actors import Actor
from consents.errors import ConsentRuleError
from consents.models import Status, Upload, Via
from consents.rules import Movement, Outcome
from consents.services import consent_record
from providers.models import Retailer

from .chunks import Chunk, Counters, Refusal, UploadContext, refresh_totals, save_shard, shard_rows
from .pg_apply import transaction_id_prefix

MIN_SQLITE = (3, 35, 0)
STAGE = "ileti_upload_stage"
SEEN = "ileti_upload_seen"
CLS = "ileti_upload_cls"

_SETUP = [
    f"""CREATE TEMP TABLE IF NOT EXISTS {STAGE} (
        line integer NOT NULL, recipient text NOT NULL, recipient_type text NOT NULL, channel text NOT NULL,
        status text NOT NULL, source text, consent_date text, retailer_id integer,
        declaration_period_id integer, review_until text, late_report integer NOT NULL, replay integer NOT NULL
    )""",
    f"""CREATE TEMP TABLE IF NOT EXISTS {SEEN} (
        recipient text NOT NULL, recipient_type text NOT NULL, channel text NOT NULL, line integer NOT NULL,
        PRIMARY KEY (recipient, recipient_type, channel)
    )""",
    f"DELETE FROM {SEEN}",
]

_REMEMBER_KEYS = f"""
INSERT INTO {SEEN} (recipient, recipient_type, channel, line)
SELECT recipient, recipient_type, channel, min(line) FROM {STAGE} WHERE true
GROUP BY recipient, recipient_type, channel
ON CONFLICT DO NOTHING
"""

# check_transition in SQL for a provider's movement; the order is the order in which it raises.
# Datetimes are Django's SQLite text (UTC, 'YYYY-MM-DD HH:MM:SS[.ffffff]'), which compare as text.
_CLASSIFY = f"""
CREATE TEMP TABLE {CLS} AS
SELECT s.*, c.id AS cid, c.consent_date AS cur_date, k.line AS first_line,
    CASE
        WHEN k.line <> s.line THEN 'H194'
        WHEN c.id IS NULL AND s.source = 'HS_KARAR' THEN 'H408'
        WHEN c.id IS NULL AND s.status = 'RET' THEN 'H175'
        WHEN c.id IS NULL THEN 'P'
        WHEN s.status = c.status THEN 'UNCHANGED'
        WHEN s.recipient_type = 'TACIR' AND s.consent_date IS NULL THEN 'H462'
        WHEN s.recipient_type = 'TACIR' AND s.source IS NULL THEN 'H463'
        WHEN s.consent_date IS NOT NULL AND s.consent_date <= c.consent_date THEN 'H178'
        ELSE 'P'
    END AS verdict
FROM {STAGE} s
JOIN {SEEN} k ON k.recipient = s.recipient AND k.recipient_type = s.recipient_type AND k.channel = s.channel
LEFT JOIN consents_consent c ON c.brand_id = %s AND c.recipient = s.recipient
    AND c.recipient_type = s.recipient_type AND c.channel = s.channel
WHERE NOT s.replay
"""

_UPSERT = f"""
INSERT INTO consents_consent AS c (
    brand_id, recipient, recipient_type, channel, status, source, consent_date, created_at, updated_at,
    transaction_id, retailer_id, declaration_period_id, review_until, finalized_at)
SELECT %s, recipient, recipient_type, channel, status, source, COALESCE(consent_date, %s), %s, %s,
    %s || substr('0000000000' || printf('%%x', line), -10, 10), retailer_id, declaration_period_id,
    review_until, NULL
FROM {CLS} WHERE verdict = 'P' ORDER BY line
ON CONFLICT (brand_id, recipient, recipient_type, channel) DO UPDATE SET
    status = excluded.status,
    source = excluded.source,
    consent_date = excluded.consent_date,
    updated_at = excluded.updated_at,
    transaction_id = excluded.transaction_id,
    retailer_id = COALESCE(excluded.retailer_id, c.retailer_id),
    declaration_period_id = CASE WHEN excluded.status = 'ONAY'
        THEN excluded.declaration_period_id ELSE c.declaration_period_id END,
    review_until = CASE WHEN excluded.status = 'ONAY' THEN excluded.review_until ELSE c.review_until END,
    finalized_at = CASE WHEN excluded.status = 'ONAY' THEN NULL ELSE c.finalized_at END
WHERE c.status <> excluded.status AND c.consent_date < excluded.consent_date AND excluded.source IS NOT NULL
RETURNING id, recipient, recipient_type, channel, status, source, consent_date, transaction_id,
    review_until, finalized_at, declaration_period_id
"""

_EVENT = """
INSERT INTO consents_consentevent (
    consent_id, brand_id, recipient, recipient_type, channel, action, previous_status, status, source,
    consent_date, created_at, transaction_id, retailer_id, actor_kind, actor_user_id, actor_ref, actor_label,
    via, late_report, review_until, overrides_citizen_rejection)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
"""

# ONAY over the recipient's own RET (consents.selectors.citizen_rejection_in_force), read before the chunk's
# history rows are written: the consents whose latest movement is a citizen's RET.
_OVERRIDES = f"""
SELECT cid FROM {CLS} WHERE verdict = 'P' AND cid IS NOT NULL AND status = 'ONAY' AND (
    SELECT e.actor_kind = 'CITIZEN' AND e.status = 'RET' FROM consents_consentevent e
    WHERE e.consent_id = {CLS}.cid ORDER BY e.id DESC LIMIT 1)
"""

_FIELD_OF = {
    "H194": "recipient", "H408": "source", "H175": "status", "H462": "consentDate", "H463": "source",
    "H178": "consentDate",
}


def sqlite_supported() -> bool:
    return sqlite3.sqlite_version_info >= MIN_SQLITE


def _local_text(moment: dt.datetime | None) -> str:
    return "" if moment is None else timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


class SqliteApplier:
    """Applies each chunk in the caller's thread on the default connection (one progress row)."""

    def __init__(self, context: UploadContext) -> None:
        self.context = context
        self.upload: Upload = context.upload
        (row,) = shard_rows(self.upload, 1)
        self.resume_line = row.resume_line
        self.counters = Counters.of(row)
        self.actor = Actor.provider_user(self.upload.uploaded_by)
        ops = connection.ops
        self._dt = ops.adapt_datetimefield_value

    def start(self) -> None:
        with connection.cursor() as cursor:
            for statement in _SETUP:
                cursor.execute(statement)

    def finish(self) -> None:
        refresh_totals(self.upload)

    def close(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {CLS}")

    def submit(self, chunk: Chunk) -> None:
        counters = self.counters
        resume = self.resume_line
        refusals = [r for r in chunk.refusals if r.line > resume]
        moot = sum(1 for line in chunk.moot if line > resume)
        fresh = sum(1 for item in chunk.valid if item[0] > resume)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {STAGE}")
            cursor.execute(f"DROP TABLE IF EXISTS {CLS}")
            if chunk.valid:
                adapt = self._dt
                cursor.executemany(
                    f"INSERT INTO {STAGE} VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    [
                        (line, m.recipient, m.recipient_type, m.channel, m.status, m.source, adapt(m.consent_date),
                         retailer_id, m.declaration_period_id, adapt(m.review_until), m.late_report, line <= resume)
                        for line, m, retailer_id in chunk.valid
                    ],
                )
                cursor.execute(_REMEMBER_KEYS)
            if fresh:
                cursor.execute(_CLASSIFY, [self.upload.brand_id])
                self._decide(cursor, chunk, refusals)
            for refusal in refusals:
                counters.refuse(refusal.code)
            if refusals:
                refusals.sort(key=lambda r: r.line)
                cursor.executemany(
                    "INSERT INTO consents_uploadrefusal (upload_id, line, field, value, code, params) "
                    "VALUES (%s, %s, %s, %s, %s, %s)",
                    [(self.upload.pk, r.line, r.field, r.value, r.code,
                      None if r.params is None else _json(r.params)) for r in refusals],
                )
            counters.unchanged += moot
            counters.rows += fresh + moot + sum(1 for r in chunk.refusals if r.line > resume)
            save_shard(self.upload, 0, counters, chunk)

    def _decide(self, cursor: Any, chunk: Chunk, refusals: list[Refusal]) -> None:
        counters = self.counters
        cursor.execute(
            f"SELECT line, verdict, first_line, cur_date FROM {CLS} WHERE verdict NOT IN ('P', 'UNCHANGED')"
        )
        refused = cursor.fetchall()
        if refused:
            by_line = {line: m for line, m, _ in chunk.valid}
            for line, code, first_line, cur_date in refused:
                refusals.append(self._refusal(line, code, by_line[line], first_line, cur_date))
        cursor.execute(
            f"SELECT sum(verdict = 'UNCHANGED'), sum(verdict = 'P' AND cid IS NULL), "
            f"sum(verdict = 'P' AND cid IS NOT NULL) FROM {CLS}"
        )
        unchanged, creates, changes = (n or 0 for n in cursor.fetchone())
        counters.unchanged += unchanged
        if self.upload.dry_run:
            counters.inserted += creates
            counters.updated += changes
            return
        now = timezone.now()
        now_text = self._dt(now)
        cursor.execute(_OVERRIDES)
        overrides = {row[0] for row in cursor.fetchall()}
        cursor.execute(_UPSERT, [self.upload.brand_id, now_text, now_text, now_text, transaction_id_prefix()])
        written = cursor.fetchall()
        cursor.execute(
            f"SELECT recipient, recipient_type, channel, line, cid IS NULL, retailer_id, late_report, review_until "
            f"FROM {CLS} WHERE verdict = 'P'"
        )
        staged = {(r, t, c): rest for r, t, c, *rest in cursor.fetchall()}
        actor = self.actor
        events = []
        brand_id = self.upload.brand_id
        totals: Counter = Counter()
        for (
            cid, recipient, rtype, channel, status, source, consent_date, txn, now_until, now_final, now_period,
        ) in written:
            line, inserted, retailer_id, late_report, review_until = staged.pop((recipient, rtype, channel))
            # The dashboard's totals (consents.counts): the row's key now, and for an update the key it had
            # (the status flipped; a RET keeps the declaration fields, so the returned row tells the old one).
            totals[(brand_id, channel, rtype, status, counts.review_period(status, now_until, now_final, now_period))] += 1
            if not inserted:
                old_status = Status.RET if status == Status.ONAY else Status.ONAY
                old_period = 0 if status == Status.ONAY else counts.review_period(
                    old_status, now_until, now_final, now_period
                )
                totals[(brand_id, channel, rtype, old_status, old_period)] -= 1
            events.append((
                cid, self.upload.brand_id, recipient, rtype, channel, "CREATE" if inserted else "CHANGE",
                None if inserted else ("RET" if status == "ONAY" else "ONAY"), status, source, consent_date,
                now_text, txn, retailer_id, actor.kind, self.upload.uploaded_by_id, actor.ref[:64],
                actor.label[:255], Via.UPLOAD, late_report, review_until if status == "ONAY" else None,
                cid in overrides,
            ))
            if inserted:
                counters.inserted += 1
            else:
                counters.updated += 1
        if events:
            cursor.executemany(_EVENT, events)
            moved = Counter(event[7] for event in events)
            day = counts.day_of(now)
            counts.add(totals, {(brand_id, day, status, False): n for status, n in moved.items()})
        # Rows the upsert's WHERE left alone (nothing can move them under the write lock, but the
        # conditions are the service's): decided by the single-consent service, as on PostgreSQL.
        for (recipient, rtype, channel), (line, *_rest) in staged.items():
            self._apply_lost(line, chunk, refusals)

    def _refusal(self, line: int, code: str, movement: Movement, first_line: int, cur_date: Any) -> Refusal:
        field = _FIELD_OF[code]
        params: dict[str, Any] | None = None
        if code == "H194":
            value, params = movement.recipient, {"first_line": first_line}
        elif code == "H175":
            value = movement.status
        elif code in ("H408", "H463"):
            value = movement.source or ""
        elif code == "H178":
            stored = connection.ops.convert_datetimefield_value(cur_date, None, connection)
            value, params = _local_text(movement.consent_date), {"stored": _local_text(stored)}
        else:
            value = ""
        return Refusal(line, field, value, code, params)

    def _apply_lost(self, line: int, chunk: Chunk, refusals: list[Refusal]) -> None:
        movement, retailer_id = next((m, r) for ln, m, r in chunk.valid if ln == line)
        retailer = Retailer.objects.filter(pk=retailer_id).first() if retailer_id else None
        try:
            result = consent_record(
                brand=self.upload.brand, recipient=movement.recipient, recipient_type=movement.recipient_type,
                channel=movement.channel, status=movement.status, source=movement.source,
                consent_date=movement.consent_date, retailer=retailer, actor=self.actor, via=Via.UPLOAD,
                allow_unchanged=True, now=self.context.now,
            )
        except ConsentRuleError as error:
            refusals.append(Refusal.of(line, error))
            return
        if result.outcome is Outcome.CREATE:
            self.counters.inserted += 1
        elif result.outcome is Outcome.CHANGE:
            self.counters.updated += 1
        else:
            self.counters.unchanged += 1


def _json(params: dict[str, Any]) -> str:
    return json.dumps(params, default=str)
