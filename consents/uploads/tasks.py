"""Celery tasks of the bulk upload: they take ids, run the engine and are idempotent (see uploads.services)."""
from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.conf import settings

from config.db_router import remember_write, user_key
from config.retry import RETRY_TRANSIENT

from .services import upload_process, uploads_stalled


@shared_task(name="consents.process_upload", **RETRY_TRANSIENT)
def process_upload(upload_id: int) -> dict[str, int | str] | None:
    upload = upload_process(upload_id=upload_id)
    if upload is None:
        return None
    if upload.uploaded_by_id is not None:
        # The uploader reads the file's consents back from the primary for a while (config/db_router.py).
        remember_write([user_key(upload.uploaded_by_id)])
    return {"state": upload.state, "inserted": upload.inserted, "updated": upload.updated,
            "unchanged": upload.unchanged, "refused": upload.refused}


@shared_task(name="consents.sweep_stalled_uploads")
def sweep_stalled_uploads(older_than_s: float | None = None) -> int:
    """Beat: re-queue uploads whose task was lost, instead of waiting for the broker's visibility timeout."""
    seconds = settings.UPLOAD_SWEEP_AFTER_S if older_than_s is None else older_than_s
    ids = uploads_stalled(older_than=dt.timedelta(seconds=seconds))
    for upload_id in ids:
        # A copy for a running upload returns at once (advisory lock); unstarted copies expire with the interval.
        process_upload.apply_async((upload_id,), expires=settings.UPLOAD_SWEEP_AFTER_S)
    return len(ids)
