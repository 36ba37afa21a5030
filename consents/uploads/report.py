"""The per-row report of an upload, as a CSV people open in Excel (UTF-8 with BOM, Turkish headers).

Each refused row is reported under the person's own column name (the header cell of their file)
with the value as it stands in their file: rows refused before reaching the database already carry
their typed cell; rows refused by the stored-state rules (H178, H194, …) carry normalised values, so
for those the file is read once more, in step with the sorted refusals (constant memory).
"""
from __future__ import annotations

import contextlib
import csv
import tempfile
from collections.abc import Iterable, Iterator
from typing import Any

from django.core.files import File
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from consents.errors import ERRORS
from consents.models import Upload, UploadRefusal
from consents.people import refusal_text
from consents.spreadsheets import neutralise

from .parsing import UploadFileError, display_cell, open_rows

REPORT_HEADER = ["Satır", "Sütun", "Yazılan değer", "Kod", "Açıklama", "Açıklama (English)"]
# Codes decided by the database (pg_apply / the single-consent service) on normalised values.
_STORED_STATE_CODES = frozenset({"H174", "H175", "H178", "H194", "H408", "H462", "H463"})


def refusal_messages(code: str, params: dict[str, Any] | None, value: Any = None) -> tuple[str, str]:
    """Turkish and English words for a refused row, quoting the typed value where that helps."""
    params = params or {}
    if code not in ERRORS:
        return code, code
    tr = refusal_text(code, value, "tr", **params)
    en = refusal_text(code, value, "en", **params)
    if "first_line" in params:
        tr += f" (ilk geçtiği satır: {params['first_line']})"
        en += f" (first seen on line {params['first_line']})"
    return tr, en


class FileView:
    """The upload's own header names and, on demand, its cells as typed, for the report and the preview."""

    def __init__(self, upload: Upload) -> None:
        self.upload = upload
        try:
            with upload.original.open("rb") as stream:
                parsed = open_rows(stream, size=upload.size)
                self.names = dict(parsed.layout.names)
                parsed.close()
        except (UploadFileError, OSError, ValueError):
            self.names = {}

    def column(self, field: str) -> str:
        return self.names.get(field, field)

    def typed(self, refusals: Iterable[UploadRefusal]) -> Iterator[UploadRefusal]:
        """The refusals (sorted by line) with `value` replaced by the file's cell where the database saw
        a normalised one. Reads the file only as far as the last such refusal."""
        stream = parsed = rows = None
        line, row = 0, None
        try:
            for refusal in refusals:
                if refusal.code in _STORED_STATE_CODES:
                    if parsed is None:
                        stream = self.upload.original.open("rb")
                        parsed = open_rows(stream, size=self.upload.size)
                        rows = iter(parsed.reader)
                    while line < refusal.line:
                        row = next(rows, None)
                        if row is None:
                            line = 1 << 62  # the file ended (it changed?): keep the stored values
                            break
                        line = parsed.line_num
                    index = parsed.layout.index(refusal.field)
                    if line == refusal.line and row is not None and 0 <= index < len(row):
                        refusal.value = display_cell(row[index])[:300]
                yield refusal
        finally:
            if parsed is not None:
                parsed.close()
            if stream is not None:
                stream.close()


def report_rows(refusals: Iterable[UploadRefusal], view: FileView) -> Iterable[list[str]]:
    for refusal in view.typed(refusals):
        tr, en = refusal_messages(refusal.code, refusal.params, refusal.value)
        # Every cell, not only the value: a header name or a message can carry text from the file too.
        cells = [str(refusal.line), view.column(refusal.field), refusal.value, refusal.code, tr, en]
        yield [neutralise(cell) for cell in cells]


# The download a person gets: the same rows, headers and descriptions in the language they chose (the stored
# report above keeps both languages for the archive).
PERSON_HEADER = [_("Satır"), _("Sütun"), _("Yazılan değer"), _("Kod"), _("Açıklama")]


def person_report_lines(upload: Upload) -> Iterator[str]:
    """The report as CSV text in the active language, streamed (constant memory; sorted by line)."""
    english = (translation.get_language() or "tr")[:2] == "en"
    sink = _Lines()
    writer = csv.writer(sink)
    writer.writerow([str(label) for label in PERSON_HEADER])
    yield "\ufeff" + sink.take()
    refusals = UploadRefusal.objects.filter(upload=upload).order_by("line", "id").iterator(chunk_size=5000)
    for cells in report_rows(refusals, FileView(upload)):
        writer.writerow(cells[:4] + [cells[5] if english else cells[4]])
        yield sink.take()


class _Lines:
    """What csv.writer wrote since the last take()."""

    def __init__(self) -> None:
        self._parts: list[str] = []

    def write(self, text: str) -> None:
        self._parts.append(text)

    def take(self) -> str:
        text, self._parts = "".join(self._parts), []
        return text


def write_report(upload: Upload) -> None:
    """Stream the refusals into the upload's report file (constant memory; sorted by line)."""
    refusals = UploadRefusal.objects.filter(upload=upload).order_by("line", "id").iterator(chunk_size=5000)
    view = FileView(upload)
    with tempfile.TemporaryFile("w+b") as raw:
        with open(raw.fileno(), "w", encoding="utf-8-sig", newline="", closefd=False) as text:
            writer = csv.writer(text)
            writer.writerow(REPORT_HEADER)
            writer.writerows(report_rows(refusals, view))
        raw.seek(0)
        _save_report(upload, File(raw))


def _save_report(upload: Upload, content: File) -> None:
    """Store the report; on a storage error (a full disk) remove the partial file and raise the OSError."""
    storage = upload.report.storage
    target = storage.get_available_name(upload.report.field.generate_filename(upload, f"rapor-{upload.pk}.csv"))
    try:
        upload.report.name = storage.save(target, content)
    except OSError:
        upload.report.name = ""
        with contextlib.suppress(OSError):
            storage.delete(target)
        raise
