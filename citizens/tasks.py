"""Celery tasks of the citizens app. Thin: ids in, a service call, a retry on a delivery failure."""
from __future__ import annotations

from celery import shared_task

from .notices import OverrideNoticeSendError, override_notice_send, override_notices_queue


@shared_task(
    name="citizens.send_rejection_override_notice", autoretry_for=(OverrideNoticeSendError,),
    retry_backoff=30, retry_backoff_max=3600, max_retries=8,
)
def send_rejection_override_notice(notice_id: int) -> str:
    return override_notice_send(notice_id=notice_id)


@shared_task(name="citizens.notify_rejection_overrides")
def notify_rejection_overrides(event_ids: list[int] | None = None) -> int:
    """Queue and fan out the notices of the given history rows (after their commit), or sweep the last days."""
    notice_ids = override_notices_queue(event_ids=event_ids)
    for notice_id in notice_ids:
        send_rejection_override_notice.delay(notice_id)
    return len(notice_ids)
