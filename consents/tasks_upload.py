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
