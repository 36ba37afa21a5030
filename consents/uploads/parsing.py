"""Reading an uploaded consent file as a stream: CSV (encoding, separator) or Excel .xlsx; header aliases.

Memory stays constant in the file size: a CSV is read in blocks, decoded incrementally and cut
into lines that `csv.reader` consumes one at a time; an .xlsx is read with openpyxl's read-only
mode, which parses the first sheet's XML as a stream (python-calamine was measured too: about ten
times faster, but it loads the whole sheet, so its memory grows with the rows; see docs/uploads.md). Problems with the file as a whole (empty,
binary, no recognisable header, too large) raise `UploadFileError` with one message in Turkish and
English; problems with single rows are the rules' business (consents.rules).
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.utils import translation
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

BLOCK_SIZE = 1 << 16
SAMPLE_SIZE = 1 << 16

# Canonical column -> accepted spellings after `fold_header` (İYS reconciliation file + Turkish).
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "recipient": ("recipient", "alici", "aliciadresi", "adres", "address"),
    "recipientType": ("recipienttype", "alicitipi", "alicituru"),
    "type": ("type", "kanal", "izintipi", "izinturu", "channel", "iletisimkanali"),
    "status": ("status", "durum", "izindurumu", "onaydurumu"),
    "consentDate": ("consentdate", "izintarihi", "tarih", "date", "onaytarihi"),
    "source": ("source", "kaynak", "izinkaynagi"),
    "retailerCode": ("retailercode", "bayikodu", "bayino", "bayiiyskodu", "bayinumarasi"),
}
REQUIRED_COLUMNS = ("recipient", "recipientType", "type", "status")
_ALIAS_TO_COLUMN = {alias: column for column, aliases in HEADER_ALIASES.items() for alias in aliases}
_TURKISH_FOLD = str.maketrans("İIıŞşĞğÜüÖöÇçÂâÎîÛû", "iiissgguuooccaaiiuu")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")

# Signatures of files people upload instead of a CSV (Excel, zip, PDF, images).
_BINARY_MAGIC = (
    b"PK\x03\x04",  # xlsx / zip
    b"\xd0\xcf\x11\xe0",  # legacy xls / OLE
    b"%PDF",
    b"\x89PNG",
    b"\xff\xd8\xff",  # JPEG
    b"GIF8",
    b"\x1f\x8b",  # gzip
    b"Rar!",
    b"7z\xbc\xaf",
)


class UploadFileError(Exception):
    """The file as a whole cannot be processed; nothing is stored."""

    def __init__(self, code: str, message_tr: str, message_en: str) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_tr = message_tr
        self.message_en = message_en

    @property
    def message(self) -> str:
        """In the active language only (a failed upload keeps both: Upload.error_message and error_message_en)."""
        return self.message_en if (translation.get_language() or "tr")[:2] == "en" else self.message_tr


def too_large(size: int) -> UploadFileError:
    limit_mb = settings.UPLOAD_MAX_BYTES / (1024 * 1024)
    return UploadFileError(
        "too_large",
        f"Dosya çok büyük ({size / (1024 * 1024):.1f} MB): en fazla {limit_mb:.0f} MB yüklenebilir. "
        "Dosyayı bölerek yükleyin.",
        f"The file is too large ({size / (1024 * 1024):.1f} MB): the limit is {limit_mb:.0f} MB. "
        "Split it and upload the parts.",
    )


EMPTY = UploadFileError(
    "empty",
    "Dosya boş: başlık satırı ve en az bir izin satırı içeren bir CSV dosyası yükleyin.",
    "The file is empty: upload a CSV file with a header line and at least one consent row.",
)
BINARY = UploadFileError(
    "binary",
    "Dosya bir CSV metin dosyası ya da Excel (.xlsx) çalışma kitabı değil (eski .xls, sıkıştırılmış ya da "
    "başka bir ikili dosya). Excel'de “Farklı Kaydet → Excel Çalışma Kitabı (.xlsx)” ya da “CSV” ile "
    "kaydedip yeniden yükleyin.",
    "The file is neither a CSV text file nor an Excel (.xlsx) workbook (legacy .xls, compressed or another "
    "binary file). In Excel use “Save As → Excel Workbook (.xlsx)” or “CSV” and upload again.",
)
NOT_XLSX = UploadFileError(
    "not_xlsx",
    "Dosya açılamadı: sıkıştırılmış bir dosya ama okunabilir bir Excel (.xlsx) çalışma kitabı değil. "
    "Excel'de “Farklı Kaydet → Excel Çalışma Kitabı (.xlsx)” ile kaydedip yeniden yükleyin.",
    "The file could not be opened: it is compressed but not a readable Excel (.xlsx) workbook. "
    "In Excel use “Save As → Excel Workbook (.xlsx)” and upload again.",
)


def _no_header(found: str) -> UploadFileError:
    expected = ", ".join(REQUIRED_COLUMNS) + " (consentDate, source, retailerCode)"
    return UploadFileError(
        "no_header",
        f"Başlık satırı tanınmadı. İlk satır sütun adlarını içermelidir: {expected}; Türkçe karşılıkları "
        f"da kabul edilir (alıcı, alıcı tipi, kanal, durum, izin tarihi, kaynak, bayi kodu). Bulunan: {found}",
        f"No recognisable header line. The first line must name the columns: {expected}, or their Turkish "
        f"names (alıcı, alıcı tipi, kanal, durum, izin tarihi, kaynak, bayi kodu). Found: {found}",
    )


def _missing_columns(missing: list[str]) -> UploadFileError:
    names = ", ".join(missing)
    return UploadFileError(
        "missing_columns",
        f"Başlık satırında zorunlu sütunlar eksik: {names}.",
        f"The header line lacks required columns: {names}.",
    )


def fold_header(cell: str) -> str:
    """Case-, space- and Turkish-letter-insensitive form of a header cell ('Alıcı Tipi' -> 'alicitipi')."""
    return _NOT_ALNUM.sub("", cell.strip().lstrip("\ufeff").translate(_TURKISH_FOLD).lower())


@dataclass(frozen=True, slots=True)
class Layout:
    """Where each canonical column sits in the file, and how the file is written."""

    delimiter: str
    columns: dict[str, int]
    encoding: str
    header_line: int
    # The header cell of each canonical column as written in the file ("Alıcı Tipi"): reports use it.
    names: dict[str, str] = field(default_factory=dict)

    def index(self, column: str) -> int:
        return self.columns.get(column, -1)


def display_cell(value: object) -> str:
    """A cell as the person saw it in their file: text as typed, a spreadsheet's date or number as shown."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dt.datetime):
        return value.strftime("%d.%m.%Y %H:%M:%S" if value.time() != dt.time() else "%d.%m.%Y")
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def check_size(size: int) -> None:
    if size > settings.UPLOAD_MAX_BYTES:
        raise too_large(size)


def _looks_binary(sample: bytes) -> bool:
    if sample.startswith(_BINARY_MAGIC):
        return True
    # UTF-16 files carry NULs too; Excel's "Unicode text" is not a CSV we accept.
    return b"\x00" in sample


class LineReader:
    """Decoded text lines of a binary file, UTF-8 first and Windows-1254 as the fallback.

    Until the first non-ASCII byte the two encodings agree, so the decision is made lazily: a byte
    sequence that is not UTF-8 switches to Windows-1254 as long as nothing non-ASCII was decoded yet.
    `bytes_read` tells how far into the file the reader is (for the progress bar).
    """

    def __init__(self, stream: IO[bytes], first_block: bytes) -> None:
        self.stream = stream
        self.bytes_read = len(first_block)
        self.encoding = "utf-8"
        self._settled = False  # True once the encoding can no longer change
        if first_block.startswith(codecs.BOM_UTF8):
            first_block = first_block[len(codecs.BOM_UTF8):]
            self._settled = True
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self._first = first_block

    def _decode(self, block: bytes, final: bool) -> str:
        try:
            text = self._decoder.decode(block, final)
        except UnicodeDecodeError:
            if self._settled:
                # Valid UTF-8 was seen before: keep it, mark the broken bytes (rows then fail their rules).
                self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
            else:
                # Bytes the UTF-8 decoder held back at the end of the previous block belong to this one.
                block = self._decoder.getstate()[0] + block
                self.encoding = "cp1254"
                self._decoder = codecs.getincrementaldecoder("cp1254")("replace")
            self._settled = True
            return self._decoder.decode(block, final)
        if not self._settled and not text.isascii():
            self._settled = True
        return text

    def __iter__(self) -> Iterator[str]:
        pending = ""
        block = self._first
        self._first = b""
        while True:
            final = not block
            text = self._decode(block, final)
            if text:
                lines = (pending + text).split("\n")
                pending = lines.pop()
                yield from lines
            if final:
                break
            block = self.stream.read(BLOCK_SIZE)
            self.bytes_read += len(block)
        if pending:
            yield pending


def sniff_delimiter(header: str) -> str:
    counts = {sep: header.count(sep) for sep in (";", ",", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def read_layout(header_cells: list[str], *, delimiter: str, encoding: str, header_line: int) -> Layout:
    columns: dict[str, int] = {}
    names: dict[str, str] = {}
    for position, cell in enumerate(header_cells):
        column = _ALIAS_TO_COLUMN.get(fold_header(cell))
        if column is not None and column not in columns:
            columns[column] = position
            names[column] = cell.strip().lstrip("\ufeff")
    if not columns:
        shown = ", ".join(c.strip() for c in header_cells[:8] if c.strip())[:200] or "—"
        raise _no_header(shown)
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise _missing_columns(missing)
    return Layout(delimiter=delimiter, columns=columns, encoding=encoding, header_line=header_line, names=names)


@dataclass
class CsvStream:
    """The rows of an opened upload, after its header; `line_num` is the file line of the last row."""

    layout: Layout
    lines: LineReader
    reader: Iterator[list[str]]
    _csv: object = field(repr=False, default=None)

    @property
    def line_num(self) -> int:
        return self._csv.line_num  # type: ignore[attr-defined]

    @property
    def bytes_read(self) -> int:
        return self.lines.bytes_read

    def close(self) -> None:
        """Nothing to release (the caller owns the stream); here for the same interface as XlsxStream."""


def open_csv(stream: IO[bytes], *, size: int) -> CsvStream:
    """Check the file as a whole and position a csv reader after its header line."""
    check_size(size)
    first = stream.read(SAMPLE_SIZE)
    if not first.strip(b" \t\r\n\xef\xbb\xbf"):
        raise EMPTY
    if _looks_binary(first):
        raise NOT_XLSX if first.startswith(b"PK\x03\x04") else BINARY
    lines = LineReader(stream, first)
    line_iter = iter(lines)
    header_line = 0
    header = None
    delimiter = ","
    for text in line_iter:
        header_line += 1
        stripped = text.strip()
        if not stripped:
            continue
        if stripped.lower().startswith("sep=") and len(stripped) == 5:
            delimiter = stripped[4]  # Excel's separator hint line
            continue
        header = text.rstrip("\r")
        break
    if header is None:
        raise EMPTY
    if header_line == 1 or delimiter == ",":
        delimiter = sniff_delimiter(header)
    header_cells = next(csv.reader([header], delimiter=delimiter))
    layout = read_layout(header_cells, delimiter=delimiter, encoding=lines.encoding, header_line=header_line)
    reader = csv.reader(line_iter, delimiter=delimiter, skipinitialspace=True)
    # csv counts only the lines it reads itself; the header and what preceded it come first.
    counting = _OffsetReader(reader, header_line)
    return CsvStream(layout=layout, lines=lines, reader=counting, _csv=counting)


class _OffsetReader:
    """A csv reader whose `line_num` counts from the start of the file."""

    __slots__ = ("_offset", "_reader")

    def __init__(self, reader: Iterator[list[str]], offset: int) -> None:
        self._reader = reader
        self._offset = offset

    def __iter__(self) -> Iterator[list[str]]:
        return self._reader  # type: ignore[return-value]

    @property
    def line_num(self) -> int:
        return self._reader.line_num + self._offset  # type: ignore[attr-defined]


def inspect_head(stream: IO[bytes], *, size: int) -> Layout:
    """Validate an uploaded file before it is stored (the form): size, emptiness, binary, header.

    A header with no data row is also refused as empty.
    """
    parsed = open_rows(stream, size=size)
    for row in parsed.reader:
        if any(cell.strip() if isinstance(cell, str) else cell is not None for cell in row):
            return parsed.layout
        if parsed.bytes_read > SAMPLE_SIZE * 4:
            return parsed.layout  # a long run of blank lines: let the task look further
    raise EMPTY


def _is_xlsx(stream: IO[bytes]) -> bool:
    """A zip holding an Excel workbook (what Excel, LibreOffice and Google Sheets save as .xlsx)."""
    start = stream.tell()
    head = stream.read(4)
    stream.seek(start)
    if head != b"PK\x03\x04":
        return False
    try:
        with zipfile.ZipFile(stream) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False
    finally:
        stream.seek(start)


def _xlsx_cell(value: Any) -> Any:
    """What the engine reads from a real cell: text as is, whole numbers as digits (phones, dealer codes)."""
    if value is None or isinstance(value, str):
        return "" if value is None else value
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    return value  # dates and times stay what they are; the rules' readers take them as such


class XlsxStream:
    """The rows of an .xlsx upload's first sheet after its header: same interface as `CsvStream`.

    `line_num` is the sheet's row number (what Excel shows); empty rows are skipped; other sheets
    (a help sheet, say) are never read.
    """

    def __init__(self, stream: IO[bytes], *, size: int) -> None:
        self.size = size
        try:
            self._book = load_workbook(stream, read_only=True, data_only=True)
            sheet = self._book.worksheets[0]
        except (zipfile.BadZipFile, InvalidFileException, KeyError, IndexError, ValueError, OSError):
            raise NOT_XLSX from None
        # Rows declared by the sheet's dimension (when it has one): the progress estimate.
        self._declared_rows = sheet.max_row if isinstance(sheet.max_row, int) and sheet.max_row > 1 else 0
        self._rows = sheet.iter_rows(values_only=True)
        self.line_num = 0
        header = None
        for values in self._rows:
            self.line_num += 1
            if any(v is not None and (not isinstance(v, str) or v.strip()) for v in values):
                header = [display_cell(v) for v in values]
                break
        if header is None:
            raise EMPTY
        self.layout = read_layout(header, delimiter="", encoding="xlsx", header_line=self.line_num)
        self.reader = self._data_rows()

    def _data_rows(self) -> Iterator[list[Any]]:
        cell = _xlsx_cell
        for values in self._rows:
            self.line_num += 1
            row = [cell(v) for v in values]
            if any(row):
                yield row

    @property
    def bytes_read(self) -> int:
        if not self._declared_rows:
            return 0
        return min(self.size, self.size * self.line_num // self._declared_rows)

    def close(self) -> None:
        self._book.close()


def open_rows(stream: IO[bytes], *, size: int) -> CsvStream | XlsxStream:
    """Open an upload, CSV or .xlsx (told by its content, not its name), positioned after its header."""
    check_size(size)
    if _is_xlsx(stream):
        return XlsxStream(stream, size=size)
    return open_csv(stream, size=size)


def file_kind(stream: IO[bytes]) -> str:
    """"xlsx" or "csv": the extension the stored copy of an upload gets."""
    return "xlsx" if _is_xlsx(stream) else "csv"
