"""The PostgreSQL fast path: COPY each chunk into a staging table, apply it with set-based SQL.

The stored-state rules of `consents.rules.check_transition` are mirrored in `_CLASSIFY` (H194
duplicate in the file, H408, H175, H462, H463, unchanged, H178); tests/consents/test_rule_agreement.py
feeds the same inputs to the single-consent service and to this path and compares the outcomes.

One `INSERT … ON CONFLICT … DO UPDATE … WHERE` writes the consents; its RETURNING feeds the history
rows in the same statement. The upsert's WHERE repeats the movement conditions, so a row that a
citizen changed between classification and upsert is not overwritten; such rows come back as
"lost" and go through the single-consent service (row lock, exact rules).

Background threads with their own connections apply chunk N while the caller parses chunk N+1
(psycopg releases the GIL while PostgreSQL works), one short transaction per chunk and connection;
keys are split between the connections by recipient, so they never wait on each other.
"""
from __future__ import annotations

import json
import logging
import queue
import secrets
import threading
import time
from typing import Any
from zlib import crc32

from django.conf import settings
from django.db import DatabaseError, connection, transaction

from consents import counts
from consents.actors import Actor
from consents.counts import REVIEW_PERIOD_SQL
from consents.errors import ConsentRuleError
from consents.models import Upload, UploadShard, Via
from consents.rules import Movement, Outcome
from consents.services import consent_record
from providers.models import Retailer

from .chunks import Chunk, Counters, Refusal, UploadContext, refresh_totals, save_shard, shard_rows

logger = logging.getLogger(__name__)

STAGE = "ileti_upload_stage"
SEEN = "ileti_upload_seen"

# Must precede the first use of a temporary table in the session: the staging and key tables of a
# million-row file do not fit the 8 MB default and would spill to files. (A pooled session that
# already used temporary tables refuses the change; the default then stays.)
_TEMP_BUFFERS = "SET temp_buffers = '64MB'"

_SETUP = [
    f"""CREATE TEMP TABLE IF NOT EXISTS {STAGE} (
        line bigint NOT NULL, recipient text NOT NULL, recipient_type text NOT NULL, channel text NOT NULL,
        status text NOT NULL, source text, consent_date timestamptz, retailer_id bigint,
        declaration_period_id bigint, review_until timestamptz, late_report boolean NOT NULL,
        replay boolean NOT NULL
    ) ON COMMIT DELETE ROWS""",
    # Keys already met in this file (first line of each): duplicates are found by the database,
    # so memory stays flat however many rows the file has.
    f"""CREATE TEMP TABLE IF NOT EXISTS {SEEN} (
        recipient text NOT NULL, recipient_type text NOT NULL, channel text NOT NULL, line bigint NOT NULL,
        PRIMARY KEY (recipient, recipient_type, channel)
    )""",
    f"TRUNCATE {SEEN}",
]

_REMEMBER_KEYS = f"""
INSERT INTO {SEEN} (recipient, recipient_type, channel, line)
SELECT DISTINCT ON (recipient, recipient_type, channel) recipient, recipient_type, channel, line
FROM {STAGE} ORDER BY recipient, recipient_type, channel, line
ON CONFLICT DO NOTHING
"""

# check_transition in SQL, for a provider's movement (Origin.PROVIDER). Order matters: it is the
# order in which check_transition raises.
_CLASSIFY = f"""
cls AS MATERIALIZED (
    SELECT s.*, c.id AS cid, c.consent_date AS cur_date, seen.line AS first_line,
        CASE
            WHEN seen.line <> s.line THEN 'H194'
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
    -- Probes by key (LATERAL … LIMIT 1 keeps them index probes whatever the statistics say).
    CROSS JOIN LATERAL (
        SELECT k.line FROM {SEEN} k
        WHERE k.recipient = s.recipient AND k.recipient_type = s.recipient_type AND k.channel = s.channel
        LIMIT 1
    ) seen
    -- `brand_id + 0`: probe by recipient (a handful of rows per address), never by the brand alone,
    -- whose statistics are stale while this very upload fills it.
    LEFT JOIN LATERAL (
        SELECT c.id, c.status, c.consent_date FROM consents_consent c
        WHERE c.recipient = s.recipient AND c.channel = s.channel
            AND c.recipient_type = s.recipient_type AND c.brand_id + 0 = %(brand)s
        LIMIT 1
    ) c ON true
    WHERE NOT s.replay  -- applied before a restart: they only fill the duplicate-key memory
)"""

_REFUSED_ROWS = """
SELECT 'R', line, verdict, recipient, recipient_type, channel, status, source, consent_date, cur_date,
       first_line, NULL::bigint
FROM cls WHERE verdict NOT IN ('P', 'UNCHANGED')
"""

_PERIOD_NOW = REVIEW_PERIOD_SQL.format(t="")

_APPLY = f"""
WITH {_CLASSIFY},
up AS (
    INSERT INTO consents_consent AS c (
        brand_id, recipient, recipient_type, channel, status, source, consent_date, created_at, updated_at,
        transaction_id, retailer_id, declaration_period_id, review_until, finalized_at)
    SELECT %(brand)s, recipient, recipient_type, channel, status, source, COALESCE(consent_date, %(now)s),
        %(now)s, %(now)s, %(txn_prefix)s || lpad(to_hex(line), 10, '0'), retailer_id, declaration_period_id,
        review_until, NULL
    FROM cls WHERE verdict = 'P'
    ON CONFLICT (brand_id, recipient, recipient_type, channel) DO UPDATE SET
        status = EXCLUDED.status,
        source = EXCLUDED.source,
        consent_date = EXCLUDED.consent_date,
        updated_at = EXCLUDED.updated_at,
        transaction_id = EXCLUDED.transaction_id,
        retailer_id = COALESCE(EXCLUDED.retailer_id, c.retailer_id),
        -- A fresh consent replaces an earlier declaration; a rejection keeps it (as the service does).
        declaration_period_id = CASE WHEN EXCLUDED.status = 'ONAY'
            THEN EXCLUDED.declaration_period_id ELSE c.declaration_period_id END,
        review_until = CASE WHEN EXCLUDED.status = 'ONAY' THEN EXCLUDED.review_until ELSE c.review_until END,
        finalized_at = CASE WHEN EXCLUDED.status = 'ONAY' THEN NULL ELSE c.finalized_at END
    -- The movement conditions again, against the row as locked now (a citizen may have moved it).
    WHERE c.status <> EXCLUDED.status AND c.consent_date < EXCLUDED.consent_date AND EXCLUDED.source IS NOT NULL
    RETURNING c.id, c.recipient, c.recipient_type, c.channel, c.status, c.source, c.consent_date,
        c.transaction_id, (c.xmax = 0) AS inserted, c.review_until, c.finalized_at, c.declaration_period_id
),
ev AS (
    INSERT INTO consents_consentevent (
        consent_id, brand_id, recipient, recipient_type, channel, action, previous_status, status, source,
        consent_date, created_at, transaction_id, retailer_id, actor_kind, actor_user_id, actor_ref, actor_label,
        via, late_report, review_until, overrides_citizen_rejection)
    SELECT up.id, %(brand)s, up.recipient, up.recipient_type, up.channel,
        CASE WHEN up.inserted THEN 'CREATE' ELSE 'CHANGE' END,
        CASE WHEN up.inserted THEN NULL WHEN up.status = 'ONAY' THEN 'RET' ELSE 'ONAY' END,
        up.status, up.source, up.consent_date, %(now)s, up.transaction_id, cls.retailer_id,
        %(actor_kind)s, %(actor_user)s, %(actor_ref)s, %(actor_label)s, %(via)s, cls.late_report,
        CASE WHEN up.status = 'ONAY' THEN cls.review_until END,
        -- ONAY over the recipient's own RET (consents.selectors.citizen_rejection_in_force): the statement's
        -- snapshot still shows the previous latest history row, so this reads the rejection being replaced.
        COALESCE(NOT up.inserted AND up.status = 'ONAY' AND (
            SELECT e.actor_kind = 'CITIZEN' AND e.status = 'RET' FROM consents_consentevent e
            WHERE e.consent_id = up.id ORDER BY e.id DESC LIMIT 1), false)
    FROM up JOIN cls ON cls.verdict = 'P' AND cls.recipient = up.recipient
        AND cls.recipient_type = up.recipient_type AND cls.channel = up.channel
)
{_REFUSED_ROWS}
UNION ALL
SELECT 'L', line, verdict, recipient, recipient_type, channel, status, source, consent_date, cur_date,
       first_line, retailer_id
FROM cls WHERE verdict = 'P' AND NOT EXISTS (
    SELECT 1 FROM up WHERE up.recipient = cls.recipient AND up.recipient_type = cls.recipient_type
    AND up.channel = cls.channel)
UNION ALL SELECT 'I', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
    (SELECT count(*) FROM up WHERE up.inserted)
UNION ALL SELECT 'U', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
    (SELECT count(*) FROM up WHERE NOT up.inserted)
UNION ALL SELECT 'N', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
    (SELECT count(*) FROM cls WHERE verdict = 'UNCHANGED')
-- The dashboard's totals (consents.counts), grouped by key from the upsert's RETURNING: +1 on each row's key
-- now; an updated row also -1 on the key it had. Its status flipped (the upsert's WHERE), and a RET keeps the
-- declaration fields, so the returned row tells the old key exactly, whatever moved it meanwhile.
UNION ALL SELECT 'C', NULL, NULL, NULL, recipient_type, channel, status, NULL, NULL, NULL, review_period, sum(n)
FROM (
    SELECT recipient_type, channel, status, {_PERIOD_NOW} AS review_period, 1 AS n FROM up
    UNION ALL
    SELECT recipient_type, channel, CASE WHEN status = 'ONAY' THEN 'RET' ELSE 'ONAY' END,
        CASE WHEN status = 'ONAY' OR review_until IS NULL OR finalized_at IS NOT NULL THEN 0
             ELSE COALESCE(declaration_period_id, -1) END, -1
    FROM up WHERE NOT inserted
) AS changes GROUP BY recipient_type, channel, status, review_period
UNION ALL SELECT 'M', NULL, NULL, NULL, NULL, NULL, status, NULL, NULL, NULL, NULL, count(*) FROM up GROUP BY status
"""

# Dry run: the same classification, read-only.
_DRY_RUN = f"""
WITH {_CLASSIFY}
{_REFUSED_ROWS}
UNION ALL SELECT 'I', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
    (SELECT count(*) FROM cls WHERE verdict = 'P' AND cid IS NULL)
UNION ALL SELECT 'U', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
    (SELECT count(*) FROM cls WHERE verdict = 'P' AND cid IS NOT NULL)
UNION ALL SELECT 'N', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
    (SELECT count(*) FROM cls WHERE verdict = 'UNCHANGED')
"""

def transaction_id_prefix() -> str:
    """22 hex digits: microseconds now plus 8 random digits; the row's file line completes the 32.

    One transaction id per movement, time-ordered so the unique index on history rows grows at its
    right edge (random ids scatter a million inserts over the whole index, several times slower).
    """
    return f"{time.time_ns() // 1000:014x}{secrets.token_hex(4)}"


_FIELD_OF = {
    "H194": "recipient", "H408": "source", "H175": "status", "H462": "consentDate", "H463": "source",
    "H178": "consentDate",
}

_STAGE_COLUMNS = (
    "line, recipient, recipient_type, channel, status, source, consent_date, retailer_id, "
    "declaration_period_id, review_until, late_report, replay"
)


NULL = "\\N"


def _text(value: Any) -> str:
    return NULL if value is None else str(value)


def _iso(moment: Any) -> str:
    return NULL if moment is None else moment.isoformat()


def stage_lines(valid: list[tuple[int, Movement, int | None]], resume_line: int = 0) -> str:
    """COPY text of the valid rows. Normalised values hold no tab, newline or backslash."""
    return "".join([
        f"{line}\t{m.recipient}\t{m.recipient_type}\t{m.channel}\t{m.status}\t{_text(m.source)}\t"
        f"{_iso(m.consent_date)}\t{_text(retailer_id)}\t{_text(m.declaration_period_id)}\t"
        f"{_iso(m.review_until)}\t{'t' if m.late_report else 'f'}\t{'t' if line <= resume_line else 'f'}\n"
        for line, m, retailer_id in valid
    ])


def _date_text(moment: Any) -> str:
    from django.utils import timezone

    return "" if moment is None else timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


def _sql_refusal(row: tuple) -> Refusal:
    _, line, code, recipient, _rtype, _channel, status, source, consent_date, cur_date, first_line, _ = row
    field = _FIELD_OF[code]
    params: dict[str, Any] | None = None
    if code == "H194":
        value, params = recipient, {"first_line": first_line}
    elif code == "H175":
        value = status
    elif code in ("H408", "H463"):
        value = source or ""
    elif code == "H178":
        value, params = _date_text(consent_date), {"stored": _date_text(cur_date)}
    else:
        value = ""
    return Refusal(line, field, value, code, params)


def shard_count() -> int:
    return max(1, int(getattr(settings, "UPLOAD_APPLY_CONNECTIONS", 2)))


class PostgresApplier:
    """Splits each chunk by recipient between `shard_count()` connections applying in parallel.

    All keys of one recipient go to the same connection, so each connection's duplicate-key memory
    is complete for its keys, and the connections never touch the same consent row.
    """

    def __init__(self, context: UploadContext) -> None:
        self.context = context
        self.upload: Upload = context.upload
        # A resumed upload keeps the split it started with, or rows would change connection.
        started_with = UploadShard.objects.filter(upload=self.upload).count()
        rows = shard_rows(self.upload, started_with or shard_count())
        self.shards = [ShardApplier(context, row) for row in rows]

    def start(self) -> None:
        for shard in self.shards:
            shard.start()

    def submit(self, chunk: Chunk) -> None:
        count = len(self.shards)
        if count == 1:
            parts = [chunk.valid]
        else:
            parts = [[] for _ in range(count)]
            for item in chunk.valid:
                parts[crc32(item[1].recipient.encode()) % count].append(item)
        for number, shard in enumerate(self.shards):
            shard.submit(Chunk(
                chunk.last_line, chunk.bytes_read, 0, parts[number], chunk.refusals if number == 0 else [],
                chunk.moot if number == 0 else [],
            ))

    def finish(self) -> None:
        for shard in self.shards:
            shard.finish()
        refresh_totals(self.upload)

    def close(self) -> None:
        for shard in self.shards:
            shard.close()


class ShardApplier:
    """Applies its part of each chunk in a background thread on its own connection."""

    def __init__(self, context: UploadContext, row: UploadShard) -> None:
        self.context = context
        self.upload: Upload = context.upload
        self.number = row.shard
        self.resume_line = row.resume_line
        self.counters = Counters.of(row)
        self.actor = Actor.provider_user(self.upload.uploaded_by)
        self._queue: queue.Queue[Chunk | None] = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"upload-{self.upload.pk}-{self.number}", daemon=True
        )

    # --- caller side -------------------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def submit(self, chunk: Chunk | None) -> None:
        while True:
            if self._error is not None:
                raise self._error
            if not self._thread.is_alive():
                raise RuntimeError("upload applier thread ended early")
            try:
                self._queue.put(chunk, timeout=0.5)
                return
            except queue.Full:
                continue

    def finish(self) -> None:
        self.submit(None)
        self._thread.join()
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=60)

    # --- applier thread ----------------------------------------------------------------------
    def _run(self) -> None:
        try:
            with connection.cursor() as cursor:
                try:
                    cursor.execute(_TEMP_BUFFERS)
                except DatabaseError:
                    logger.info("upload %s: temp_buffers left at the session's value", self.upload.pk)
                for statement in _SETUP:
                    cursor.execute(statement)
            while not self._stop.is_set():
                try:
                    chunk = self._queue.get(timeout=0.5)
                except queue.Empty:
                    continue
                if chunk is None:
                    break
                started = time.perf_counter()
                self._apply(chunk)
                logger.info(
                    "upload %s shard %s: lines up to %s (%s rows) applied in %.2fs",
                    self.upload.pk, self.number, chunk.last_line, len(chunk.valid),
                    time.perf_counter() - started,
                )
        except BaseException as error:  # handed to the caller, which fails the upload
            logger.exception("upload %s: applying a chunk failed", self.upload.pk)
            self._error = error
        finally:
            connection.close()

    def _apply(self, chunk: Chunk) -> None:
        counters = self.counters
        resume = self.resume_line
        fresh_rows = sum(1 for item in chunk.valid if item[0] > resume)
        refusals = [r for r in chunk.refusals if r.line > resume]
        totals: dict = {}
        totals_moved: dict = {}
        with transaction.atomic(), connection.cursor() as cursor:
            # Safe without waiting for the WAL flush: the shard's progress row commits with the chunk,
            # so a chunk lost in a server crash is simply applied again on resume.
            cursor.execute("SET LOCAL synchronous_commit = off")
            if chunk.valid:
                with cursor.cursor.copy(f"COPY {STAGE} ({_STAGE_COLUMNS}) FROM STDIN") as copy:
                    copy.write(stage_lines(chunk.valid, resume))
                cursor.execute(_REMEMBER_KEYS)
            if fresh_rows:
                # Chunk-sized sets are joined by hash; key lookups are the LATERAL probes above.
                cursor.execute("SET LOCAL enable_nestloop = off")
                cursor.execute("SET LOCAL jit = off")
                cursor.execute("SET LOCAL work_mem = '64MB'")  # the chunk's hash joins stay in memory
                params = self._params()
                cursor.execute(_DRY_RUN if self.upload.dry_run else _APPLY, params)
                brand_id, day = self.upload.brand_id, counts.day_of(params["now"])
                for row in cursor.fetchall():
                    kind = row[0]
                    if kind == "C":
                        _, _, _, _, rtype, channel, status, _, _, _, period, n = row
                        totals[(brand_id, channel, rtype, status, period)] = n
                    elif kind == "M":
                        totals_moved[(brand_id, day, row[6], False)] = row[-1]
                    elif kind == "R":
                        refusals.append(_sql_refusal(row))
                    elif kind == "L":
                        self._apply_lost(row, refusals)
                    elif kind == "I":
                        counters.inserted += row[-1]
                    elif kind == "U":
                        counters.updated += row[-1]
                    elif kind == "N":
                        counters.unchanged += row[-1]
            if refusals:
                with cursor.cursor.copy(
                    "COPY consents_uploadrefusal (upload_id, line, field, value, code, params) FROM STDIN"
                ) as copy:
                    for refusal in refusals:
                        counters.refuse(refusal.code)
                        copy.write_row((
                            self.upload.pk, refusal.line, refusal.field, refusal.value, refusal.code,
                            None if refusal.params is None else json.dumps(refusal.params, default=str),
                        ))
            # After the lost rows (their service calls add their own): the chunk's totals in its transaction.
            counts.add(totals, totals_moved)
            moot = sum(1 for line in chunk.moot if line > resume)
            counters.unchanged += moot
            counters.rows += fresh_rows + moot + sum(1 for r in chunk.refusals if r.line > resume)
            save_shard(self.upload, self.number, counters, chunk)

    def _params(self) -> dict[str, Any]:
        from django.utils import timezone

        return {
            "brand": self.upload.brand_id,
            "now": timezone.now(),
            "txn_prefix": transaction_id_prefix(),
            "actor_kind": self.actor.kind,
            "actor_user": self.upload.uploaded_by_id,
            "actor_ref": self.actor.ref[:64],
            "actor_label": self.actor.label[:255],
            "via": Via.UPLOAD,
        }

    def _apply_lost(self, row: tuple, refusals: list[Refusal]) -> None:
        """A row a concurrent movement overtook: decide it with the single-consent service."""
        _, line, _, recipient, rtype, channel, status, source, consent_date, _, _, retailer_id = row
        retailer = Retailer.objects.filter(pk=retailer_id).first() if retailer_id else None
        try:
            result = consent_record(
                brand=self.upload.brand, recipient=recipient, recipient_type=rtype, channel=channel,
                status=status, source=source, consent_date=consent_date, retailer=retailer, actor=self.actor,
                via=Via.UPLOAD, allow_unchanged=True, now=self.context.now,
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
