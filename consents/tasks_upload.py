"""Celery task of the bulk upload: takes an id, runs the engine; idempotent (see uploads.services)."""
from __future__ import annotations

from celery import shared_task


@shared_task(name="consents.process_upload", acks_late=True)
def process_upload(upload_id: int) -> dict[str, int | str] | None:
    from .uploads.services import upload_process

    upload = upload_process(upload_id=upload_id)
    if upload is None:
        return None
    return {"state": upload.state, "inserted": upload.inserted, "updated": upload.updated,
            "unchanged": upload.unchanged, "refused": upload.refused}


@shared_task(name="consents.sweep_stalled_uploads")
def sweep_stalled_uploads(older_than_s: float | None = None) -> int:
    """Beat: re-queue uploads whose task was lost, instead of waiting for the broker's visibility timeout."""
    import datetime as dt

    from django.conf import settings

    from .uploads.services import upload_requeue_stalled

    seconds = settings.UPLOAD_SWEEP_AFTER_S if older_than_s is None else older_than_s
    return upload_requeue_stalled(older_than=dt.timedelta(seconds=seconds))
