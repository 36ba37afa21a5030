"""The upload engine: stream the file, check every row with the rules, hand chunks to an applier.

Per row only the static rules run in Python (`consents.rules.check_movement`, the single source of
truth shared with the form and the API). The rules that depend on the stored row run where the
rows are: set-based SQL on PostgreSQL (`pg_apply`), the single-consent service on SQLite
(`row_apply`). Appliers commit one chunk per short transaction together with their progress row
(UploadShard: counters and `resume_line`), so a task restarted after a crash resumes where it stopped.
"""
from __future__ import annotations

import datetime as dt
import logging
import operator
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.utils import timezone

from providers.models import Retailer

from ..errors import ConsentRuleError
from ..rules import ISTANBUL, Movement, Origin, PeriodInfo, check_movement
from ..selectors import declaration_period_open_for, last_closed_period_for, period_info
from ..upload_models import Upload, UploadShard
from .parsing import open_csv

logger = logging.getLogger(__name__)

# Rows per chunk (one short transaction per chunk and connection); the environment may lower it.
CHUNK_ROWS = int(os.environ.get("UPLOAD_CHUNK_ROWS", "50000"))
VALUE_MAX = 300


@dataclass(slots=True)
class Refusal:
    """One refused row, as it goes into the report."""

    line: int
    field: str
    value: str
    code: str
    params: dict[str, Any] | None = None

    @classmethod
    def of(cls, line: int, error: ConsentRuleError) -> Refusal:
        value = "" if error.value is None else str(error.value)[:VALUE_MAX]
        return cls(line, error.field or "", value, error.code, dict(error.params) or None)


@dataclass(slots=True)
class Chunk:
    """A run of file lines: the rows that passed the static rules and those that did not."""

    last_line: int
    bytes_read: int
    rows: int
    valid: list[tuple[int, Movement, int | None]] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)


@dataclass
class Counters:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: int = 0
    by_code: dict[str, int] = field(default_factory=dict)
    rows: int = 0

    @classmethod
    def of(cls, shard: UploadShard) -> Counters:
        return cls(
            shard.inserted, shard.updated, shard.unchanged, shard.refused,
            dict(shard.refusals_by_code or {}), shard.rows_processed,
        )

    def refuse(self, code: str, n: int = 1) -> None:
        self.refused += n
        self.by_code[code] = self.by_code.get(code, 0) + n


@dataclass(frozen=True)
class UploadContext:
    """What every chunk of one upload shares; computed once per upload."""

    upload: Upload
    now: dt.datetime
    open_period: PeriodInfo | None
    period_deadline: dt.date | None
    retailer_ids: dict[int, int]


def shard_rows(upload: Upload, count: int) -> list[UploadShard]:
    """The upload's progress rows, one per applier connection (created on the first run)."""
    for number in range(count):
        UploadShard.objects.get_or_create(upload=upload, shard=number)
    return list(UploadShard.objects.filter(upload=upload, shard__lt=count).order_by("shard"))


def save_shard(upload: Upload, shard: int, counters: Counters, chunk: Chunk) -> None:
    """A shard's counters and resume point, committed in the transaction of the chunk they describe."""
    UploadShard.objects.filter(upload=upload, shard=shard).update(
        resume_line=chunk.last_line,
        bytes_processed=min(chunk.bytes_read, upload.size),
        rows_processed=counters.rows,
        inserted=counters.inserted,
        updated=counters.updated,
        unchanged=counters.unchanged,
        refused=counters.refused,
        refusals_by_code=counters.by_code,
    )


def refresh_totals(upload: Upload) -> None:
    """Sum the shards into the upload's own fields (what the progress bar and the summary read)."""
    shards = list(UploadShard.objects.filter(upload=upload))
    if not shards:
        return
    by_code: dict[str, int] = {}
    for shard in shards:
        for code, n in (shard.refusals_by_code or {}).items():
            by_code[code] = by_code.get(code, 0) + n
    rows = sum(s.rows_processed for s in shards)
    done_bytes = min(s.bytes_processed for s in shards)
    estimated = rows
    if upload.size and 0 < done_bytes < upload.size:
        estimated = int(rows * upload.size / done_bytes)
    Upload.objects.filter(pk=upload.pk).update(
        rows_processed=rows,
        rows_estimated=estimated,
        bytes_processed=done_bytes,
        resume_line=min(s.resume_line for s in shards),
        inserted=sum(s.inserted for s in shards),
        updated=sum(s.updated for s in shards),
        unchanged=sum(s.unchanged for s in shards),
        refused=sum(s.refused for s in shards),
        refusals_by_code=by_code,
    )


def build_context(upload: Upload, *, now: dt.datetime | None = None) -> UploadContext:
    now = now or timezone.now()
    provider = upload.brand.provider
    today = timezone.localtime(now).date()
    open_period = declaration_period_open_for(provider, on=today)
    deadline = None
    if open_period is None:
        closed = last_closed_period_for(provider, on=today)
        deadline = closed.declare_until if closed else None
    # Retailer codes of the brand, resolved once per upload rather than per row.
    retailer_ids = dict(Retailer.objects.filter(brand=upload.brand).values_list("code", "id"))
    return UploadContext(upload, now, period_info(open_period), deadline, retailer_ids)


def default_applier(context: UploadContext) -> Any:
    if connection.vendor == "postgresql":
        from .pg_apply import PostgresApplier

        return PostgresApplier(context)
    from .row_apply import RowApplier

    return RowApplier(context)


def _cell(row: list[str], index: int) -> str | None:
    return row[index] if 0 <= index < len(row) else None


# Turkey has kept +03:00 all year since 2016-09-07. A fixed-offset tzinfo is the same instant as
# Europe/Istanbul there and far cheaper per row; earlier dates (summer time) keep the zone itself.
_PERMANENT_OFFSET_FROM = dt.datetime(2016, 9, 8)
_TR_FIXED = dt.timezone(dt.timedelta(hours=3))


def _cells_getter(columns: tuple[int, ...]) -> Callable[[list[str]], Any]:
    """The cells of the canonical columns of a complete row; None for a column the file lacks."""
    if all(index >= 0 for index in columns):
        return operator.itemgetter(*columns)
    present = operator.itemgetter(*[index for index in columns if index >= 0])
    missing = [position for position, index in enumerate(columns) if index < 0]

    def take(row: list[str]) -> list[str | None]:
        values: list[str | None] = list(present(row))
        for position in missing:
            values.insert(position, None)
        return values

    return take


def _date_value(raw: str | None) -> Any:
    """Hand check_movement a datetime when the text is plainly ISO (the common case; C-fast).

    Anything else goes as text, so the rules' own parser decides and names the error.
    """
    if not raw:
        return raw
    try:
        moment = dt.datetime.fromisoformat(raw.strip())
    except ValueError:
        return raw
    if moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=_TR_FIXED if moment >= _PERMANENT_OFFSET_FROM else ISTANBUL)


def run_upload(
    upload: Upload,
    *,
    chunk_rows: int = CHUNK_ROWS,
    now: dt.datetime | None = None,
    applier_factory: Callable[[UploadContext], Any] = default_applier,
) -> None:
    """Process the upload's file to the end; rows a crashed run committed are only remembered.

    Raises parsing.UploadFileError (nothing stored) when the file as a whole is unusable.
    """
    context = build_context(upload, now=now)
    with upload.original.open("rb") as stream:
        parsed = open_csv(stream, size=upload.size)
        layout = parsed.layout
        i_recipient = layout.index("recipient")
        i_type = layout.index("recipientType")
        i_channel = layout.index("type")
        i_status = layout.index("status")
        i_date = layout.index("consentDate")
        i_source = layout.index("source")
        i_retailer = layout.index("retailerCode")
        applier = applier_factory(context)
        applier.start()
        try:
            _stream_rows(
                parsed, applier, context, chunk_rows=chunk_rows,
                columns=(i_recipient, i_type, i_channel, i_status, i_date, i_source, i_retailer),
            )
            applier.finish()
        finally:
            applier.close()


def _stream_rows(
    parsed: Any,
    applier: Any,
    context: UploadContext,
    *,
    chunk_rows: int,
    columns: tuple[int, ...],
) -> None:
    i_recipient, i_type, i_channel, i_status, i_date, i_source, i_retailer = columns
    # The same tzinfo object as the parsed dates: aware comparisons then skip utcoffset() on every row.
    now = context.now.astimezone(_TR_FIXED)
    open_period, deadline = context.open_period, context.period_deadline
    retailer_ids = context.retailer_ids
    provider_origin = Origin.PROVIDER
    cell = _cell
    date_value = _date_value

    width = max(columns) + 1
    # One C call fetches every cell of a complete row; short rows take the careful path.
    take = _cells_getter(columns)
    chunk = Chunk(0, 0, 0)
    valid_append = chunk.valid.append
    for row in parsed.reader:
        if len(row) >= width:
            recipient, rtype, channel, status, date_text, source, code_text = take(row)
        else:
            recipient, rtype, channel, status, date_text, source, code_text = (
                cell(row, i_recipient), cell(row, i_type), cell(row, i_channel), cell(row, i_status),
                cell(row, i_date), cell(row, i_source), cell(row, i_retailer),
            )
        if (not recipient or not recipient.strip()) and not any(c.strip() for c in row):
            continue  # blank line (or only separators)
        line = parsed.line_num
        chunk.rows += 1
        try:
            movement = check_movement(
                recipient=recipient,
                recipient_type=rtype,
                channel=channel,
                status=status,
                source=source,
                consent_date=date_value(date_text),
                origin=provider_origin,
                now=now,
                open_period=open_period,
                period_deadline=deadline,
            )
        except ConsentRuleError as error:
            chunk.refusals.append(Refusal.of(line, error))
            movement = None
        if movement is not None:
            retailer_id = None
            if code_text and code_text.strip():
                try:
                    retailer_id = retailer_ids.get(int(code_text.strip()))
                except ValueError:
                    retailer_id = None
                if retailer_id is None:
                    chunk.refusals.append(
                        Refusal(line, "retailerCode", code_text[:VALUE_MAX], "H180")
                    )
                    movement = None
            if movement is not None:
                valid_append((line, movement, retailer_id))
        if chunk.rows >= chunk_rows:
            chunk.last_line = line
            chunk.bytes_read = parsed.bytes_read
            applier.submit(chunk)
            chunk = Chunk(0, 0, 0)
            valid_append = chunk.valid.append
    chunk.last_line = parsed.line_num
    chunk.bytes_read = parsed.bytes_read
    applier.submit(chunk)
