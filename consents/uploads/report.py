"""The per-row report of an upload, as a CSV people open in Excel (UTF-8 with BOM)."""
from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable
from typing import Any

from django.core.files import File

from consents.errors import ERRORS, error_message
from consents.models import Upload, UploadRefusal

REPORT_HEADER = ["line", "field", "value", "code", "message_tr", "message_en"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """Cells starting like a formula are prefixed so spreadsheets show them as text."""
    return "'" + value if value.startswith(_FORMULA_START) else value


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
        yield [str(refusal.line), refusal.field, neutralise(refusal.value), refusal.code, tr, en]


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
