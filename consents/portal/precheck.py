"""Campaign pre-check: a whole recipient list split into may-send / may-not-send, with the reason per row.

The answers are can_send_many's — the same query and rules as ileti's may-I-send — asked 1,000 addresses at a
time while the list is read (CSV or the first sheet of an .xlsx, first column, constant memory). The result is
streamed back as a ZIP: `gonderilebilir.csv` is written as rows are checked; `gonderilemez.csv` waits in a
temporary file (memory, then disk) and follows at the end, then `ozet.txt`. Nothing is kept but a
CampaignCheck audit row with the counts.
"""
from __future__ import annotations

import csv
import io
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook

from config.hygiene import TextSafeForm
from consents.models import CampaignCheck, RecipientType
from consents.recipients import normalize_email, normalize_phone
from consents.rules import SendReason
from consents.selectors import SendAnswer, can_send_many
from consents.spreadsheets import neutralise_cell
from providers.models import Brand, Channel

CHUNK = 1000
INVALID = "INVALID"  # not an address of the channel (the only code may-I-send itself never gives)
HEADER_WORDS = {"alici", "alıcı", "recipient", "telefon", "phone", "e-posta", "eposta", "email", "e-mail", "adres"}


@dataclass(frozen=True, slots=True)
class Verdict:
    line: int
    typed: str
    recipient: str
    allowed: bool
    code: str
    reason: str


def reason_of(answer: SendAnswer) -> tuple[str, str]:
    """(code, text) of a may-I-send answer: the code is ileti's may-I-send reason (consents.rules.SendReason)."""
    reason = answer.reason
    if reason is SendReason.UNDER_REVIEW:
        until = timezone.localtime(answer.review_until).strftime("%d.%m.%Y") if answer.review_until else ""
        return reason.value, _("Onaylı; vatandaşın itiraz süresi %(date)s tarihinde biter") % {"date": until}
    if reason is SendReason.CITIZEN_REJECTED:
        when = timezone.localtime(answer.consent_date).strftime("%d.%m.%Y %H:%M") if answer.consent_date else ""
        return reason.value, _("Vatandaş %(when)s tarihinde reddetti") % {"when": when}
    texts = {
        SendReason.ONAY: _("Onaylı"),
        SendReason.TACIR_NO_RECORD: _("Tacir: kaydı yok, ret edene kadar gönderilebilir"),
        SendReason.RET: _("Ret kaydı var"),
        SendReason.NO_RECORD: _("Onay kaydı yok"),
    }
    return reason.value, texts[reason]


def _first_cells_csv(stream: IO[bytes]) -> Iterator[str]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")
    sample = text.readline()
    delimiter = max((";", ",", "\t"), key=sample.count) if sample else ","
    for row in csv.reader([sample], delimiter=delimiter):
        yield row[0] if row else ""
    for row in csv.reader(text, delimiter=delimiter):
        yield row[0] if row else ""


def _first_cells_xlsx(stream: IO[bytes]) -> Iterator[str]:
    book = load_workbook(stream, read_only=True, data_only=True)
    try:
        for values in book.worksheets[0].iter_rows(values_only=True, max_col=1):
            value = values[0] if values else None
            if isinstance(value, float) and value.is_integer():
                value = int(value)  # a phone typed as a number
            yield "" if value is None else str(value)
    finally:
        book.close()


def is_xlsx(stream: IO[bytes]) -> bool:
    start = stream.tell()
    try:
        with zipfile.ZipFile(stream) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False
    finally:
        stream.seek(start)


def read_recipients(stream: IO[bytes]) -> Iterator[tuple[int, str]]:
    """(line number, first cell) of every non-empty row; a first row that names the column is skipped."""
    cells = _first_cells_xlsx(stream) if is_xlsx(stream) else _first_cells_csv(stream)
    for line, cell in enumerate(cells, start=1):
        value = cell.strip()
        if not value:
            continue
        if line == 1 and value.lower().replace("İ", "i") in HEADER_WORDS:
            continue
        yield line, value


def _normalised(typed: str, channel: str) -> str | None:
    return normalize_email(typed) if channel == Channel.EPOSTA else normalize_phone(typed)


def check(
    *, brand: Brand, channel: str, recipient_type: str, rows: Iterable[tuple[int, str]], chunk: int = CHUNK
) -> Iterator[list[Verdict]]:
    """Verdicts, a chunk at a time, in the list's order."""
    batch: list[tuple[int, str]] = []

    def decide(batch: list[tuple[int, str]]) -> list[Verdict]:
        wanted = {line: _normalised(typed, channel) for line, typed in batch}
        answers = can_send_many(
            brand=brand, recipients={r for r in wanted.values() if r}, recipient_type=recipient_type,
            channel=channel, normalised=True,
        )
        out = []
        for line, typed in batch:
            recipient = wanted[line]
            if recipient is None:
                kind = _("e-posta adresi") if channel == Channel.EPOSTA else _("telefon numarası")
                out.append(Verdict(line, typed, "", False, INVALID, _("Geçerli bir %(kind)s değil") % {"kind": kind}))
                continue
            code, reason = reason_of(answers[recipient])
            out.append(Verdict(line, typed, recipient, answers[recipient].allowed, code, reason))
        return out

    for row in rows:
        batch.append(row)
        if len(batch) >= chunk:
            yield decide(batch)
            batch = []
    if batch:
        yield decide(batch)


class _Sink(io.RawIOBase):
    """A write-only stream whose bytes the generator hands to the response as they come."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data, self.chunks = b"".join(self.chunks), []
        return data


def precheck_zip(*, audit: CampaignCheck, brand: Brand, stream: IO[bytes]) -> Iterator[bytes]:
    """The streamed ZIP of a list's verdicts; the audit row gets its counts at the end."""
    columns = [_("satır"), _("alıcı (yazıldığı gibi)"), _("alıcı"), _("gerekçe kodu"), _("gerekçe")]
    sink = _Sink()
    archive = zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_DEFLATED)
    counts = {"rows": 0, "allowed": 0, "refused": 0, "invalid": 0}
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024, mode="w+", encoding="utf-8", newline="") as spool:
        refused = csv.writer(spool, lineterminator="\n")
        refused.writerow(columns)
        with archive.open("gonderilebilir.csv", mode="w", force_zip64=True) as raw:
            allowed_out = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            allowed = csv.writer(allowed_out, lineterminator="\n")
            allowed.writerow(columns)
            for verdicts in check(brand=brand, channel=audit.channel, recipient_type=audit.recipient_type,
                                  rows=read_recipients(stream)):
                for v in verdicts:
                    # The typed value is the business's own text: inert in a spreadsheet like every export.
                    row = [neutralise_cell(c) for c in (v.line, v.typed, v.recipient, v.code, v.reason)]
                    counts["rows"] += 1
                    if v.allowed:
                        counts["allowed"] += 1
                        allowed.writerow(row)
                    else:
                        counts["refused"] += 1
                        counts["invalid"] += v.code == INVALID
                        refused.writerow(row)
                allowed_out.flush()
                yield sink.take()
            allowed_out.flush()
            allowed_out.detach()
        with archive.open("gonderilemez.csv", mode="w", force_zip64=True) as raw:
            spool.seek(0)
            while block := spool.read(1 << 20):
                raw.write(block.encode())
                yield sink.take()
    archive.writestr(
        "ozet.txt",
        _("Marka: %(brand)s (%(code)s)\nKanal: %(channel)s\nAlıcı tipi: %(type)s\nSatır: %(rows)s\n"
          "Gönderilebilir: %(allowed)s\nGönderilemez: %(refused)s (geçersiz adres: %(invalid)s)\n")
        % {"brand": brand.name, "code": brand.brand_code, "channel": audit.channel,
           "type": RecipientType(audit.recipient_type).label, **counts},
    )
    archive.close()
    yield sink.take()
    CampaignCheck.objects.filter(pk=audit.pk).update(finished_at=timezone.now(), **counts)


class PrecheckForm(TextSafeForm):
    brand = forms.TypedChoiceField(label=gettext_lazy("Marka"), coerce=int)
    channel = forms.ChoiceField(label=gettext_lazy("Kanal"), choices=Channel.choices)
    recipient_type = forms.ChoiceField(
        label=gettext_lazy("Alıcı tipi"), choices=RecipientType.choices, initial=RecipientType.BIREYSEL
    )
    file = forms.FileField(
        label=gettext_lazy("Alıcı listesi (.csv ya da .xlsx)"),
        help_text=gettext_lazy("İlk sütunda birer alıcı: telefon numarası ya da e-posta adresi. Başlık satırı olabilir."),
    )

    def __init__(self, *args: Any, brands: list[Brand], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.brands = {b.brand_code: b for b in brands}
        self.fields["brand"].choices = [(b.brand_code, f"{b.name} ({b.brand_code})") for b in brands]
