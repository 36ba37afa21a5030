"""Starting and running uploads. Views and the Celery task call these; they stay thin."""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone

from config import metrics
from config.transient import is_outage
from consents.models import Upload, UploadRefusal, UploadState
from consents.outbox import outbox_enqueue
from providers.models import Brand, Provider

from . import engine
from .parsing import UploadFileError, file_kind, inspect_head
from .report import write_report

logger = logging.getLogger(__name__)


PROCESS_TASK = "consents.process_upload"  # consents/uploads/tasks.py, queued through the outbox

DISK_FULL_TR = "Sunucuda yer kalmadı; dosya kaydedilemedi. Hiçbir kayıt değişmedi. Lütfen daha sonra tekrar deneyin."
DISK_FULL_EN = "The server has run out of disk space; the file was not stored and nothing changed. Please try again later."
REPORT_DISK_FULL_TR = (
    "Dosyanın satırları işlendi, ancak sunucuda yer kalmadığı için hata raporu yazılamadı. "
    "Sorun kaydedildi; lütfen daha sonra tekrar deneyin."
)
REPORT_DISK_FULL_EN = (
    "The file's rows were processed, but the error report could not be written because the server ran out of "
    "disk space. The problem was logged; please try again later."
)


def _store_original(upload: Upload, name: str, file: UploadedFile) -> None:
    """Save the uploaded file; on a storage error (a full disk) remove what was written and refuse the upload."""
    storage = upload.original.storage
    target = storage.get_available_name(upload.original.field.generate_filename(upload, name))
    try:
        upload.original.name = storage.save(target, file)
    except OSError as error:
        logger.error("upload file not stored (%s): %r", target, error)
        with contextlib.suppress(OSError):
            storage.delete(target)  # the partial file, if the disk filled up half-way
        raise UploadFileError("storage", DISK_FULL_TR, DISK_FULL_EN) from error


def upload_create(
    *, provider: Provider, brand: Brand, user: Any, file: UploadedFile, dry_run: bool
) -> Upload:
    """Store the file with its upload record and its task (the outbox: queued after commit, or by the sweep).

    Raises UploadFileError (nothing stored) for an empty, binary, header-less or too large file, or when the
    file cannot be written (a full disk: the partial file is removed).
    """
    if brand.provider_id != provider.pk:
        raise ValueError("brand of another provider")
    file.seek(0)
    inspect_head(file, size=file.size)
    file.seek(0)
    kind = file_kind(file)
    with transaction.atomic():
        upload = Upload(
            provider=provider, brand=brand, uploaded_by=user,
            original_name=(file.name or f"upload.{kind}")[:255], size=file.size, dry_run=dry_run,
        )
        _store_original(upload, f"{provider.pk}-{timezone.now():%Y%m%d%H%M%S}.{kind}", file)
        try:
            upload.save()
            outbox_enqueue(PROCESS_TASK, upload.pk)
        except BaseException:
            with contextlib.suppress(OSError):
                upload.original.storage.delete(upload.original.name)  # no row, no file
            raise
    return upload


def upload_apply_checked(*, dry_run: Upload, user: Any) -> tuple[Upload, bool]:
    """Apply the file of a finished dry run: a new upload of the same stored file (nothing to choose again).

    Idempotent: a second click returns the apply already made of that file, with False. A new one (True)
    gets its task through the outbox.
    """
    if not dry_run.dry_run or dry_run.state != UploadState.DONE:
        raise ValueError("only a finished dry run can be applied")
    with transaction.atomic():
        # One apply per stored file, even for two clicks at once: the dry run's row is the lock.
        Upload.objects.select_for_update().filter(pk=dry_run.pk).first()
        existing = Upload.objects.filter(
            provider_id=dry_run.provider_id, original=dry_run.original.name, dry_run=False
        ).first()
        if existing is not None:
            return existing, False
        upload = Upload(
            provider_id=dry_run.provider_id, brand_id=dry_run.brand_id, uploaded_by=user,
            original_name=dry_run.original_name, size=dry_run.size, dry_run=False,
        )
        upload.original.name = dry_run.original.name
        upload.save()
        outbox_enqueue(PROCESS_TASK, upload.pk)
    return upload, True


def upload_seconds_left(upload: Upload, *, now: dt.datetime | None = None) -> int | None:
    """A linear estimate of the time left, from the bytes done so far (None until there is a basis)."""
    if upload.finished or not upload.started_at or not upload.size:
        return None
    done = upload.bytes_processed
    if not 0 < done < upload.size:
        return None
    elapsed = ((now or timezone.now()) - upload.started_at).total_seconds()
    return max(1, int(elapsed * (upload.size - done) / done))


def uploads_stalled(*, older_than: dt.timedelta, limit: int = 100) -> list[int]:
    """The uploads a lost task left QUEUED or RUNNING (a killed worker, a flushed broker), to queue again.

    Queuing a still-running upload again is safe: its runner holds the advisory lock, so the extra task
    returns at once; a crashed one resumes after its last committed chunk.
    """
    cutoff = timezone.now() - older_than
    ids = list(
        Upload.objects.filter(state__in=[UploadState.QUEUED, UploadState.RUNNING], created_at__lt=cutoff)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    return ids


def _claim(upload_id: int) -> Upload | None:
    """QUEUED -> RUNNING (or a RUNNING upload whose worker died); None when there is nothing to do."""
    with transaction.atomic():
        upload = (
            Upload.objects.select_for_update()
            .select_related("brand", "brand__provider", "uploaded_by")
            .filter(pk=upload_id)
            .first()
        )
        if upload is None or upload.finished:
            return None
        if upload.state == UploadState.QUEUED:
            upload.state = UploadState.RUNNING
            upload.started_at = timezone.now()
            upload.save(update_fields=["state", "started_at"])
    return upload


def _try_lock(upload_id: int) -> bool:
    """One runner per upload even if the broker delivers the task twice (PostgreSQL advisory lock)."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [0x11E7, upload_id])
        return bool(cursor.fetchone()[0])


def _unlock(upload_id: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [0x11E7, upload_id])


def upload_process(*, upload_id: int, chunk_rows: int = engine.CHUNK_ROWS) -> Upload | None:
    """Run an upload to its end. Idempotent: a finished upload is left alone; a crashed one resumes."""
    if not _try_lock(upload_id):
        return None
    try:
        upload = _claim(upload_id)
        if upload is None:
            return None
        started = time.perf_counter()
        try:
            engine.run_upload(upload, chunk_rows=chunk_rows)
        except UploadFileError as error:
            return _fail(upload, error.message_tr, error.message_en)
        except Exception as error:
            if is_outage(error):
                # The database or Redis went away: not the file's fault. The task retries in seconds and
                # resumes after the last committed chunk (config/retry.py); the upload stays RUNNING.
                raise
            logger.exception("upload %s failed", upload_id)
            _fail(
                upload,
                "Dosya işlenirken beklenmeyen bir hata oluştu; kaydedilen bölümler korunur. Lütfen tekrar deneyin.",
                "An unexpected error stopped the processing; committed parts are kept. Please try again.",
            )
            raise
        applied = time.perf_counter()
        upload.refresh_from_db()
        try:
            write_report(upload)
        except OSError as error:
            # A full disk (or a broken volume) while writing the report: the rows are applied and their
            # refusals are stored, so the upload ends FAILED with a message saying so, instead of staying
            # RUNNING and being re-run by every sweep. write_report leaves no partial file.
            logger.error("upload %s: report not written: %r", upload_id, error)
            return _fail(upload, REPORT_DISK_FULL_TR, REPORT_DISK_FULL_EN)
        upload.state = UploadState.DONE
        upload.finished_at = timezone.now()
        upload.bytes_processed = upload.size
        upload.rows_estimated = upload.rows_processed
        upload.save(update_fields=["report", "state", "finished_at", "bytes_processed", "rows_estimated"])
        reported = time.perf_counter()
        if not upload.dry_run:
            metrics.count_upload_rows(
                inserted=upload.inserted, updated=upload.updated, unchanged=upload.unchanged, refused=upload.refused
            )
        if upload.inserted or upload.updated:
            _refresh_dashboard(upload.provider_id)
        logger.info(
            "upload %s done: rows applied in %.2fs, report in %.2fs, dashboard in %.2fs", upload_id,
            applied - started, reported - applied, time.perf_counter() - reported,
        )
        return upload
    finally:
        _unlock(upload_id)


def _refresh_dashboard(provider_id: int) -> None:
    """The portal dashboard caches its counts; recount now so it shows the upload at once."""
    from providers.selectors import refresh_dashboard_numbers

    try:
        refresh_dashboard_numbers(provider_id=provider_id)
    except Exception:  # the counts refresh on their own later; the upload itself is done
        logger.exception("dashboard refresh after upload failed for provider %s", provider_id)


def _fail(upload: Upload, message_tr: str, message_en: str) -> Upload:
    Upload.objects.filter(pk=upload.pk).update(
        state=UploadState.FAILED, finished_at=timezone.now(), error_message=message_tr, error_message_en=message_en
    )
    upload.refresh_from_db()
    return upload


def refusal_preview(upload: Upload, limit: int = 20) -> list[UploadRefusal]:
    return list(UploadRefusal.objects.filter(upload=upload).order_by("line", "id")[:limit])
