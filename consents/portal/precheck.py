"""Campaign pre-check: a whole recipient list split into may-send / may-not-send, with the reason per row.

The answers are can_send_many's — the same query and rules as ileti's may-I-send — asked 1,000 addresses at a
time while the list is read (CSV or the first sheet of an .xlsx, first column, constant memory). It runs as a
background job like an upload: the portal stores the list and queues `consents.run_campaign_check`; the worker
writes the result ZIP (`gonderilebilir.csv`, `gonderilemez.csv`, `ozet.txt`) with progress on the
CampaignCheck row, which the job page polls; the list is deleted when the job ends and the ZIP after
PRECHECK_RESULT_KEEP_HOURS (or when a member deletes it). The audit row stays (docs/uploads.md).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import tempfile
import time
import uuid
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from django import forms
from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook

from config.hygiene import TextSafeForm
from consents.models import CampaignCheck, CheckState, RecipientType
from consents.recipients import normalize_email, normalize_phone
from consents.rules import SendReason
from consents.selectors import SendAnswer, can_send_many
from consents.spreadsheets import neutralise_cell
from providers.models import Brand, Channel, Provider

logger = logging.getLogger(__name__)

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


def estimate_rows(stream: IO[bytes], size: int) -> int:
    """Roughly how many rows a list has, for the progress bar: the sheet's own dimension for an .xlsx, the
    size over the mean length of the first 64 KB's lines for a CSV."""
    start = stream.tell()
    try:
        if is_xlsx(stream):
            try:
                book = load_workbook(stream, read_only=True, data_only=True)
            except Exception:  # noqa: BLE001  (a broken workbook: the job itself will say so)
                return max(1, size // 20)
            try:
                return int(book.worksheets[0].max_row or 0) or max(1, size // 20)
            finally:
                book.close()
        sample = stream.read(64 * 1024)
        if not sample:
            return 0
        if len(sample) >= size:
            return sample.count(b"\n") + (not sample.endswith(b"\n"))
        return max(1, int(size * max(1, sample.count(b"\n")) / len(sample)))
    finally:
        stream.seek(start)


def write_result(
    out: IO[bytes], *, audit: CampaignCheck, brand: Brand, stream: IO[bytes],
    progress: Callable[[dict[str, int]], None] | None = None,
) -> dict[str, int]:
    """Write the ZIP of a list's verdicts to `out` (a seekable file) and return the counts. `progress` is
    called with the counts after every chunk of CHUNK rows.

    `gonderilebilir.csv` is written as rows are checked; `gonderilemez.csv` waits in a temporary file
    (memory, then disk) because a ZIP holds one member open at a time; `ozet.txt` closes it. Memory stays flat
    whatever the list's length."""
    columns = [_("satır"), _("alıcı (yazıldığı gibi)"), _("alıcı"), _("gerekçe kodu"), _("gerekçe")]
    counts = {"rows": 0, "allowed": 0, "refused": 0, "invalid": 0}
    with zipfile.ZipFile(out, mode="w", compression=zipfile.ZIP_DEFLATED) as archive, \
            tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024, mode="w+", encoding="utf-8", newline="") as spool:
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
                if progress is not None:
                    progress(counts)
            allowed_out.flush()
            allowed_out.detach()
        with archive.open("gonderilemez.csv", mode="w", force_zip64=True) as raw:
            spool.seek(0)
            while block := spool.read(1 << 20):
                raw.write(block.encode())
        archive.writestr(
            "ozet.txt",
            _("Marka: %(brand)s (%(code)s)\nKanal: %(channel)s\nAlıcı tipi: %(type)s\nSatır: %(rows)s\n"
              "Gönderilebilir: %(allowed)s\nGönderilemez: %(refused)s (geçersiz adres: %(invalid)s)\n")
            % {"brand": brand.name, "code": brand.brand_code, "channel": audit.channel,
               "type": RecipientType(audit.recipient_type).label, **counts},
        )
    return counts


# --- the job: services (keyword-only; the caller queues the task with transaction.on_commit) ---------------


def keep_results_for() -> dt.timedelta:
    """How long a result ZIP is kept after its check finished (PRECHECK_RESULT_KEEP_HOURS, default 24)."""
    return dt.timedelta(hours=float(getattr(settings, "PRECHECK_RESULT_KEEP_HOURS", 24)))


def precheck_create(
    *, provider: Provider, brand: Brand, channel: str, recipient_type: str, user: Any, file: UploadedFile,
    language: str,
) -> CampaignCheck:
    """Store the list with its audit row (state QUEUED). The list is kept only until the job ends."""
    if brand.provider_id != provider.pk:
        raise ValueError("brand of another provider")
    file.seek(0)
    estimated = estimate_rows(file, file.size or 0)
    file.seek(0)
    kind = "xlsx" if is_xlsx(file) else "csv"
    with transaction.atomic():
        audit = CampaignCheck(
            provider=provider, brand=brand, channel=channel, recipient_type=recipient_type, user=user,
            file_name=(file.name or f"liste.{kind}")[:255], language=language[:8], size=file.size or 0,
            rows_estimated=estimated,
        )
        # An unguessable name: the list holds people's numbers and addresses.
        audit.source.save(f"{uuid.uuid4().hex}.{kind}", file, save=False)
        audit.save()
    return audit


def _forget_source(audit: CampaignCheck) -> None:
    if audit.source:
        audit.source.delete(save=False)


def precheck_run(*, check_id: int) -> CampaignCheck | None:
    """Run one check to its end (the task's body). Idempotent: a finished check is left alone, a check
    whose worker died is simply run again from the start (nothing was stored but the counts)."""
    with transaction.atomic():
        audit = CampaignCheck.objects.select_for_update().select_related("brand").filter(pk=check_id).first()
        if audit is None or audit.finished:
            return audit
        busy_since = timezone.now() - dt.timedelta(seconds=float(getattr(settings, "UPLOAD_SWEEP_AFTER_S", 300)))
        if audit.state == CheckState.RUNNING and audit.updated_at > busy_since:
            return audit  # another worker is on it (it writes progress every second)
        if not audit.source:
            audit.state, audit.finished_at = CheckState.FAILED, timezone.now()
            audit.save(update_fields=["state", "finished_at", "updated_at"])
            return audit
        audit.state = CheckState.RUNNING
        audit.save(update_fields=["state", "updated_at"])
    last = [time.monotonic()]

    def progress(counts: dict[str, int]) -> None:
        # At most one write a second: the page polls every second, millions of rows need not mean
        # thousands of updates.
        if time.monotonic() - last[0] >= 1.0:
            last[0] = time.monotonic()
            CampaignCheck.objects.filter(pk=audit.pk).update(updated_at=timezone.now(), **counts)

    with translation.override(audit.language or settings.LANGUAGE_CODE):
        try:
            with audit.source.open("rb") as stream, tempfile.TemporaryFile() as out:
                counts = write_result(out, audit=audit, brand=audit.brand, stream=stream, progress=progress)
                out.seek(0)
                size = out.seek(0, io.SEEK_END)
                out.seek(0)
                name = f"{uuid.uuid4().hex}.zip"
                with transaction.atomic():
                    if audit.result:
                        audit.result.delete(save=False)
                    audit.result.save(name, File(out), save=False)
                    audit.result_size = size
                    audit.state, audit.finished_at = CheckState.DONE, timezone.now()
                    for key, value in counts.items():
                        setattr(audit, key, value)
                    audit.rows_estimated = counts["rows"]
                    audit.save()
        except Exception as error:  # noqa: BLE001  (a broken .xlsx, storage trouble: told, the list goes)
            logger.warning("campaign check %s failed: %r", audit.pk, error)
            audit.state, audit.finished_at = CheckState.FAILED, timezone.now()
            audit.error_message = _("Dosya okunamadı. İlk sütununda alıcılar olan bir CSV ya da .xlsx dosyası yükleyin.")
            audit.save(update_fields=["state", "finished_at", "error_message", "updated_at"])
        finally:
            _forget_source(audit)
            CampaignCheck.objects.filter(pk=audit.pk).update(source="")
    audit.refresh_from_db()
    return audit


def precheck_delete_result(*, audit: CampaignCheck, user: Any) -> bool:
    """A member deletes a result before it expires; the audit row stays and says who did. False if gone."""
    with transaction.atomic():
        locked = CampaignCheck.objects.select_for_update().filter(pk=audit.pk).first()
        if locked is None or not locked.result:
            return False
        locked.result.delete(save=False)
        locked.result_deleted_at, locked.result_deleted_by = timezone.now(), user
        locked.save(update_fields=["result", "result_deleted_at", "result_deleted_by", "updated_at"])
    return True


def prechecks_expire(*, now: dt.datetime | None = None) -> int:
    """Delete the result files older than keep_results_for(); returns how many went."""
    now = now or timezone.now()
    expired = CampaignCheck.objects.filter(finished_at__lt=now - keep_results_for()).exclude(result="")
    count = 0
    for audit in expired.only("id", "result"):
        audit.result.delete(save=False)
        CampaignCheck.objects.filter(pk=audit.pk).update(result="", result_deleted_at=now)
        count += 1
    return count


def prechecks_stalled(*, older_than: dt.timedelta) -> list[int]:
    """Checks queued or running whose worker has been silent this long (lost task: queue it again)."""
    return list(
        CampaignCheck.objects.filter(
            state__in=[CheckState.QUEUED, CheckState.RUNNING], updated_at__lt=timezone.now() - older_than
        ).values_list("id", flat=True)
    )


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
