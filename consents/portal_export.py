"""Streaming CSV export of a provider's current consents (constant memory in the number of rows).

Format choices:
- UTF-8 with a byte-order mark and ``;`` as separator: what Excel set to Turkish opens correctly
  (Turkish Excel uses the comma as decimal mark and reads ``;`` as the list separator); our own
  upload accepts the same file back.
- Column names follow İYS's reconciliation file (recipient, recipientType, type, status,
  consentDate, source, retailerCode) followed by registry columns.
- Formula injection: a cell starting with ``=``, ``+``, ``-``, ``@`` (or a tab / carriage return) is
  prefixed with a single quote, as OWASP recommends. Phone numbers are E.164 and start with ``+``, so
  they are exported as ``'+905321234567``: a spreadsheet then shows the number as text instead of
  evaluating it, at the cost of the apostrophe in raw text tools. We neutralise every such cell
  rather than whitelisting phone-shaped values, because a whitelist is exactly what an attacker
  would aim at.
"""
from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet

from .models import Consent
from .rules import ISTANBUL

BOM = "\ufeff"
DELIMITER = ";"
CHUNK_SIZE = 5000
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

HEADER = [
    "recipient", "recipientType", "type", "status", "consentDate", "source", "retailerCode",
    "brandCode", "createdAt", "updatedAt", "reviewUntil", "finalizedAt",
]
COLUMNS = [
    "recipient", "recipient_type", "channel", "status", "consent_date", "source", "retailer__code",
    "brand__brand_code", "created_at", "updated_at", "review_until", "finalized_at",
]


def neutralise(value: str) -> str:
    """Make a cell inert in spreadsheets: formula-looking text gets a leading single quote."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(ISTANBUL).strftime("%Y-%m-%d %H:%M:%S")
    return neutralise(str(value))


class _Echo:
    """A write-only file whose write() hands the line back, so csv.writer can feed a generator."""

    def write(self, value: str) -> str:
        return value


def export_rows(queryset: QuerySet[Consent]) -> Iterator[tuple]:
    # A server-side cursor on PostgreSQL: rows are fetched CHUNK_SIZE at a time, never all at once.
    return queryset.order_by("id").values_list(*COLUMNS).iterator(chunk_size=CHUNK_SIZE)


def csv_lines(rows: Iterable[tuple]) -> Iterator[str]:
    writer = csv.writer(_Echo(), delimiter=DELIMITER, lineterminator="\r\n")
    yield BOM + writer.writerow(HEADER)
    for row in rows:
        yield writer.writerow([_cell(v) for v in row])
