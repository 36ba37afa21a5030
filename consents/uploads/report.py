"""The per-row report of an upload, as a CSV people open in Excel (UTF-8 with BOM)."""
from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable
from typing import Any

from django.core.files import File

from consents.errors import ERRORS, error_message
from consents.models import Upload, UploadRefusal
from consents.spreadsheets import neutralise

REPORT_HEADER = ["line", "field", "value", "code", "message_tr", "message_en"]


def refusal_messages(code: str, params: dict[str, Any] | None) -> tuple[str, str]:
    params = params or {}
    if code not in ERRORS:
        return code, code
    tr = error_message(code, "tr", **params)
    en = error_message(code, "en", **params)
    if "first_line" in params:
        tr += f" (ilk geçtiği satır: {params['first_line']})"
        en += f" (first seen on line {params['first_line']})"
    return tr, en


def report_rows(refusals: Iterable[UploadRefusal]) -> Iterable[list[str]]:
    for refusal in refusals:
        tr, en = refusal_messages(refusal.code, refusal.params)
        # Every cell, not only the value: a header name or a message can carry text from the file too.
        cells = [str(refusal.line), refusal.field, refusal.value, refusal.code, tr, en]
        yield [neutralise(cell) for cell in cells]


def write_report(upload: Upload) -> None:
    """Stream the refusals into the upload's report file (constant memory; sorted by line)."""
    refusals = UploadRefusal.objects.filter(upload=upload).order_by("line", "id").iterator(chunk_size=5000)
    with tempfile.TemporaryFile("w+b") as raw:
        with open(raw.fileno(), "w", encoding="utf-8-sig", newline="", closefd=False) as text:
            writer = csv.writer(text)
            writer.writerow(REPORT_HEADER)
            writer.writerows(report_rows(refusals))
        raw.seek(0)
        upload.report.save(f"rapor-{upload.pk}.csv", File(raw), save=False)
