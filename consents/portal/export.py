"""Streaming CSV and .xlsx export of a provider's current consents (constant memory in the number of rows).

Format choices:
- UTF-8 with a byte-order mark and ``;`` as separator: what Excel set to Turkish opens correctly
  (Turkish Excel uses the comma as decimal mark and reads ``;`` as the list separator); our own
  upload accepts the same file back.
- Column names follow İYS's reconciliation file (recipient, recipientType, type, status,
  consentDate, source, retailerCode) followed by registry columns.
- Formula injection: every text cell goes through ``consents.spreadsheets.neutralise`` (a leading
  single quote on formula-looking text), so phone numbers come out as ``'+905321234567``.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from typing import IO

from django.db import connection
from django.db.models import CharField, Func, QuerySet
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from consents.models import Consent
from consents.rules import ISTANBUL
from consents.spreadsheets import neutralise

BOM = "\ufeff"
DELIMITER = ";"
CHUNK_SIZE = 5000
LINES_PER_PIECE = 500

HEADER = [
    "recipient", "recipientType", "type", "status", "consentDate", "source", "retailerCode",
    "brandCode", "createdAt", "updatedAt", "reviewUntil", "finalizedAt",
]
COLUMNS = [
    "recipient", "recipient_type", "channel", "status", "consent_date", "source", "retailer__code",
    "brand__brand_code", "created_at", "updated_at", "review_until", "finalized_at",
]
DATETIME_COLUMNS = frozenset({"consent_date", "created_at", "updated_at", "review_until", "finalized_at"})


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(ISTANBUL).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, str):
        return neutralise(value)
    return str(value)


class IstanbulText(Func):
    """A timestamp as 'yyyy-mm-dd hh:mm:ss' Istanbul time, formatted by PostgreSQL.

    Parsing a million timestamps into Python datetimes only to format them again is most of an
    export's CPU time; text straight from the database streams several times faster.
    """

    template = "to_char(%(expressions)s AT TIME ZONE 'Europe/Istanbul', 'YYYY-MM-DD HH24:MI:SS')"
    output_field = CharField()


def export_rows(queryset: QuerySet[Consent]) -> Iterator[tuple]:
    """The export's rows, fetched CHUNK_SIZE at a time (a server-side cursor on PostgreSQL)."""
    queryset = queryset.order_by("id")
    columns = COLUMNS
    if connection.vendor == "postgresql":
        texts = {f"{name}_text": IstanbulText(name) for name in DATETIME_COLUMNS}
        queryset = queryset.annotate(**texts)
        columns = [f"{name}_text" if name in DATETIME_COLUMNS else name for name in COLUMNS]
    return queryset.values_list(*columns).iterator(chunk_size=CHUNK_SIZE)


def csv_lines(rows: Iterable[tuple]) -> Iterator[str]:
    """CSV text in pieces of LINES_PER_PIECE rows: few enough pieces to be fast, small enough to stream."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=DELIMITER, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(HEADER)
    pending = 0
    for row in rows:
        writer.writerow([_cell(v) for v in row])
        pending += 1
        if pending == LINES_PER_PIECE:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue()


def write_xlsx(rows: Iterable[tuple], target: IO[bytes]) -> None:
    """The same export as an Excel workbook, every cell a text cell ("@").

    Text cells need no leading quote: a spreadsheet never evaluates them, and a phone stays
    ``+905321234567`` instead of becoming a number. openpyxl's write-only mode streams the rows to
    the file, so memory stays flat in the number of rows.
    """
    book = Workbook(write_only=True)
    sheet = book.create_sheet("İzinler")
    sheet.freeze_panes = "A2"

    def text(value: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value)
        # openpyxl takes text starting with "=" for a formula; it is text (an e-mail may start so).
        cell.data_type = "s"
        cell.number_format = "@"
        return cell

    sheet.append([text(name) for name in HEADER])
    for row in rows:
        sheet.append([text(_xlsx_text(v)) for v in row])
    book.save(target)


def _xlsx_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(ISTANBUL).strftime("%Y-%m-%d %H:%M:%S")
    return str(value)
