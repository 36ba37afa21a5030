"""The upload engine: stream the file, check every row with the rules, hand chunks to an applier.

Per row only the static rules run in Python (`consents.rules.check_movement`, the single source of
truth shared with the form and the API). The rules that depend on the stored row run where the
rows are: set-based SQL on PostgreSQL (`pg_apply`), the single-consent service on SQLite
(`row_apply`). Both appliers commit one chunk per short transaction together with the upload's
counters and its `resume_line`, so a task restarted after a crash resumes where it stopped.
"""
from __future__ import annotations

import datetime as dt
import logging
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.utils import timezone

from providers.models import Retailer

from ..errors import ConsentRuleError
from ..rules import ISTANBUL, Movement, Origin, PeriodInfo, check_movement
from ..selectors import declaration_period_open_for, last_closed_period_for, period_info
from ..upload_models import Upload
from .parsing import open_csv

logger = logging.getLogger(__name__)

CHUNK_ROWS = 50_000
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
    """A run of file lines: the rows that passed the static rules and those that did not.

    `replay` chunks were committed before a crash; they only rebuild the duplicate-key memory.
    """

    last_line: int
    bytes_read: int
    rows: int
    valid: list[tuple[int, Movement, int | None]] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)
    replay: bool = False


@dataclass
class Counters:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: int = 0
    by_code: dict[str, int] = field(default_factory=dict)
    rows: int = 0

    @classmethod
    def of(cls, upload: Upload) -> Counters:
        return cls(
            upload.inserted, upload.updated, upload.unchanged, upload.refused,
            dict(upload.refusals_by_code or {}), upload.rows_processed,
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


def save_progress(upload: Upload, counters: Counters, chunk: Chunk) -> None:
    """Counters and resume point, committed with the chunk they describe."""
    rows_estimated = counters.rows
    if chunk.bytes_read and upload.size and chunk.bytes_read < upload.size:
        rows_estimated = int(counters.rows * upload.size / chunk.bytes_read)
    Upload.objects.filter(pk=upload.pk).update(
        rows_processed=counters.rows,
        rows_estimated=rows_estimated,
        bytes_processed=min(chunk.bytes_read, upload.size),
        resume_line=chunk.last_line,
        inserted=counters.inserted,
        updated=counters.updated,
        unchanged=counters.unchanged,
        refused=counters.refused,
        refusals_by_code=counters.by_code,
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


def default_applier(context: UploadContext, counters: Counters) -> Any:
    if connection.vendor == "postgresql":
        from .pg_apply import PostgresApplier

        return PostgresApplier(context, counters)
    from .row_apply import RowApplier

    return RowApplier(context, counters)


def _cell(row: list[str], index: int) -> str | None:
    return row[index] if 0 <= index < len(row) else None


# Turkey has kept +03:00 all year since 2016-09-07. A fixed-offset tzinfo is the same instant as
# Europe/Istanbul there and far cheaper per row; earlier dates (summer time) keep the zone itself.
_PERMANENT_OFFSET_FROM = dt.datetime(2016, 9, 8)
_TR_FIXED = dt.timezone(dt.timedelta(hours=3))


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
    applier_factory: Callable[[UploadContext, Counters], Any] = default_applier,
) -> Counters:
    """Process the upload's file from its resume point to the end; return the final counters.

    Raises parsing.UploadFileError (nothing stored) when the file as a whole is unusable.
    """
    context = build_context(upload, now=now)
    counters = Counters.of(upload)
    resume_line = upload.resume_line
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
        applier = applier_factory(context, counters)
        applier.start()
        try:
            _stream_rows(
                parsed, applier, context, chunk_rows=chunk_rows, resume_line=resume_line,
                columns=(i_recipient, i_type, i_channel, i_status, i_date, i_source, i_retailer),
            )
            applier.finish()
        finally:
            applier.close()
    return counters


def _stream_rows(
    parsed: Any,
    applier: Any,
    context: UploadContext,
    *,
    chunk_rows: int,
    resume_line: int,
    columns: tuple[int, ...],
) -> None:
    i_recipient, i_type, i_channel, i_status, i_date, i_source, i_retailer = columns
    now, open_period, deadline = context.now, context.open_period, context.period_deadline
    retailer_ids = context.retailer_ids
    provider_origin = Origin.PROVIDER
    cell = _cell
    date_value = _date_value

    width = max(columns) + 1
    # One C call fetches every cell of a complete row; short rows take the careful path.
    take = operator.itemgetter(i_recipient, i_type, i_channel, i_status, i_date, i_source, i_retailer)
    chunk = Chunk(0, 0, 0, replay=resume_line > 0)
    valid_append = chunk.valid.append
    for row in parsed.reader:
        if len(row) >= width and i_date >= 0 and i_source >= 0 and i_retailer >= 0:
            recipient, rtype, channel, status, date_text, source, code_text = take(row)
        else:
            recipient, rtype, channel, status, date_text, source, code_text = (
                cell(row, i_recipient), cell(row, i_type), cell(row, i_channel), cell(row, i_status),
                cell(row, i_date), cell(row, i_source), cell(row, i_retailer),
            )
        if not recipient or not recipient.strip():
            if not any(c.strip() for c in row):
                continue  # blank line (or only separators)
        line = parsed.line_num
        if chunk.replay and line > resume_line:
            # Past what the crashed run committed: close the replayed part exactly there.
            chunk.last_line = resume_line
            chunk.bytes_read = parsed.bytes_read
            applier.submit(chunk)
            chunk = Chunk(0, 0, 0)
            valid_append = chunk.valid.append
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
            chunk = Chunk(0, 0, 0, replay=chunk.replay and line < resume_line)
            valid_append = chunk.valid.append
    chunk.last_line = max(parsed.line_num, resume_line)
    chunk.bytes_read = parsed.bytes_read
    applier.submit(chunk)
