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
from typing import Any

from django.db import connection
from django.utils import timezone

from consents import people
from consents.errors import ConsentRuleError
from consents.models import Consent, Upload
from consents.recipients import normalize_recipient
from consents.rules import Origin, check_movement
from consents.selectors import declaration_period_open_for, last_closed_period_for, period_info
from providers.models import Retailer

from .chunks import VALUE_MAX, Chunk, Refusal, UploadContext
from .parsing import display_cell, open_rows
from .pg_apply import PostgresApplier
from .row_apply import RowApplier
from .sqlite_apply import SqliteApplier, sqlite_supported

logger = logging.getLogger(__name__)

# Refusals that a row restating its stored consent makes moot (see _settle_moot).
MOOT_CODES = frozenset({"H467", "ILT001", "ILT002"})
MOOT_BATCH = 5000  # recipients per lookup (SQLite's bound-parameter limit)

# Rows per chunk (one short transaction per chunk and connection); the environment may lower it.
CHUNK_ROWS = int(os.environ.get("UPLOAD_CHUNK_ROWS", "50000"))
# SQLite (the embedded default) has one writer at a time: while a chunk's transaction is open, every other
# request that writes (a sign-in, a session) waits for it, so its chunks are kept to a fraction of a second.
SQLITE_CHUNK_ROWS = int(os.environ.get("UPLOAD_SQLITE_CHUNK_ROWS", "5000"))


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
        return PostgresApplier(context)
    if connection.vendor == "sqlite" and sqlite_supported():
        return SqliteApplier(context)
    return RowApplier(context)


def _cell(row: list[str], index: int) -> str | None:
    return row[index] if 0 <= index < len(row) else None


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


def _typed_refusal(line: int, error: ConsentRuleError, typed: dict[str, Any]) -> Refusal:
    """A refusal quoting the cell as it was in the file (the rules saw it read and normalised)."""
    refusal = Refusal.of(line, error)
    raw = typed.get(refusal.field)
    if raw is not None:
        refusal.value = display_cell(raw)[:VALUE_MAX]
    return refusal


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
    if connection.vendor == "sqlite":
        chunk_rows = min(chunk_rows, SQLITE_CHUNK_ROWS)
    with upload.original.open("rb") as stream:
        parsed = open_rows(stream, size=upload.size)
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
            parsed.close()


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
    now = context.now.astimezone(people.TR_FIXED)
    open_period, deadline = context.open_period, context.period_deadline
    retailer_ids = context.retailer_ids
    provider_origin = Origin.PROVIDER
    cell = _cell
    read_date, read_text = people.read_date, people.read_text
    rtype_word, channel_word, status_word, source_word = (
        people.RECIPIENT_TYPES, people.CHANNELS, people.STATUSES, people.SOURCES,
    )

    width = max(columns) + 1
    # One C call fetches every cell of a complete row; short rows take the careful path.
    take = _cells_getter(columns)
    chunk = Chunk(0, 0, 0)
    valid_append = chunk.valid.append
    maybe_moot: list[tuple[Refusal, tuple[Any, Any, Any], Any]] = []
    for row in parsed.reader:
        if len(row) >= width:
            recipient, rtype, channel, status, date_text, source, code_text = take(row)
        else:
            recipient, rtype, channel, status, date_text, source, code_text = (
                cell(row, i_recipient), cell(row, i_type), cell(row, i_channel), cell(row, i_status),
                cell(row, i_date), cell(row, i_source), cell(row, i_retailer),
            )
        if (not recipient or (type(recipient) is str and not recipient.strip())) and not any(
            c.strip() if type(c) is str else c is not None for c in row
        ):
            continue  # blank line (or only separators)
        line = parsed.line_num
        chunk.rows += 1
        try:
            # People's spellings (Turkish casing, SMS, E-posta, 30.11.2026 14:30, a leading ')
            # become İYS's words here; the rules then judge exactly as for the API.
            movement = check_movement(
                recipient=read_text(recipient),
                recipient_type=rtype_word(rtype),
                channel=channel_word(channel),
                status=status_word(status),
                source=source_word(source),
                consent_date=read_date(date_text),
                origin=provider_origin,
                now=now,
                open_period=open_period,
                period_deadline=deadline,
            )
        except ConsentRuleError as error:
            refusal = _typed_refusal(line, error, {
                "recipient": recipient, "recipientType": rtype, "type": channel, "status": status,
                "consentDate": date_text, "source": source,
            })
            if error.code in MOOT_CODES:
                maybe_moot.append((refusal, (recipient, rtype_word(rtype), channel_word(channel)), status_word(status)))
            else:
                chunk.refusals.append(refusal)
            movement = None
        if movement is not None:
            retailer_id = None
            code_value = read_text(code_text)
            if code_value:
                try:
                    retailer_id = retailer_ids.get(int(code_value))
                except (TypeError, ValueError):
                    retailer_id = None
                if retailer_id is None:
                    chunk.refusals.append(
                        Refusal(line, "retailerCode", display_cell(code_text)[:VALUE_MAX], "H180")
                    )
                    movement = None
            if movement is not None:
                valid_append((line, movement, retailer_id))
        if chunk.rows >= chunk_rows:
            chunk.last_line = line
            chunk.bytes_read = parsed.bytes_read
            _settle_moot(chunk, maybe_moot, context)
            applier.submit(chunk)
            chunk = Chunk(0, 0, 0)
            valid_append = chunk.valid.append
            maybe_moot = []
    chunk.last_line = parsed.line_num
    chunk.bytes_read = parsed.bytes_read
    _settle_moot(chunk, maybe_moot, context)
    applier.submit(chunk)


def _settle_moot(
    chunk: Chunk, candidates: list[tuple[Refusal, tuple[Any, Any, Any], Any]], context: UploadContext
) -> None:
    """Rows refused only for their date window or source whose consent is stored with the same status.

    Such a row changes nothing, whatever its date: it is what a file exported from the portal (or
    İYS) holds for every old or citizen-made consent. People re-uploading their own export get
    "unchanged" rather than thousands of H467/ILT002 refusals; any row that would change something
    is still refused exactly as the API refuses it.
    """
    if not candidates:
        return
    keys: dict[tuple[str, str, str], list[tuple[Refusal, Any]]] = {}
    for refusal, (recipient, rtype, channel), status in candidates:
        try:
            address = normalize_recipient(people.read_text(recipient)).value
        except ConsentRuleError:
            chunk.refusals.append(refusal)
            continue
        keys.setdefault((address, rtype, channel), []).append((refusal, status))
    stored: dict[tuple[str, str, str], str] = {}
    recipients = sorted({key[0] for key in keys})
    for start in range(0, len(recipients), MOOT_BATCH):
        rows = Consent.objects.filter(
            brand_id=context.upload.brand_id, recipient__in=recipients[start:start + MOOT_BATCH]
        ).values_list("recipient", "recipient_type", "channel", "status")
        stored.update(((r, t, c), s) for r, t, c, s in rows)
    for key, items in keys.items():
        for refusal, status in items:
            if stored.get(key) == status:
                chunk.moot.append(refusal.line)
            else:
                chunk.refusals.append(refusal)
    chunk.refusals.sort(key=lambda r: r.line)
