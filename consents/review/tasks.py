"""Celery tasks of the consents app. Thin: they take ids, call services and re-queue themselves in batches."""
from __future__ import annotations

import json
import logging

from celery import shared_task
from django.conf import settings

from config import metrics
from consents.services import provider_refresh_tier
from providers.models import Provider

from . import finalize, notify

logger = logging.getLogger(__name__)

FINALIZE_STATS_KEY = "ileti:review:finalize:runs"
TIER_BATCH = 200


def _record_finalize_run(report: finalize.FinalizeReport) -> None:
    """Keep the last runs' figures in Redis (operators, bench/finalize.py read the longest chunk)."""
    if not settings.REDIS_URL or not report.chunks:
        return
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    payload = json.dumps({**report.as_dict(), "chunk_s": [round(s, 4) for s in report.chunk_durations]})
    pipe = client.pipeline()
    pipe.rpush(FINALIZE_STATS_KEY, payload)
    pipe.ltrim(FINALIZE_STATS_KEY, -1000, -1)
    pipe.expire(FINALIZE_STATS_KEY, 7 * 24 * 3600)
    pipe.execute()


@shared_task(name="consents.tasks.finalize_reviews", ignore_result=False)
def finalize_reviews(chunk_size: int | None = None, max_seconds: float | None = None) -> dict:
    """Finalise due declared consents for a time budget, then re-queue itself while work remains.

    Every chunk commits on its own, so a worker killed mid-run loses at most one open chunk (rolled back);
    the next run (re-queued, redelivered or the next beat tick) continues where the committed work ends.
    """
    budget = max_seconds if max_seconds is not None else settings.REVIEW_FINALIZE_TASK_BUDGET_S
    report = finalize.finalize_due_reviews(chunk_size=chunk_size, max_seconds=budget)
    _record_finalize_run(report)
    metrics.record_finalize_run(finalized=report.finalized, more=report.more)
    if report.more:
        finalize_reviews.apply_async(kwargs={"chunk_size": chunk_size, "max_seconds": max_seconds})
    return report.as_dict()


@shared_task(name="consents.tasks.schedule_tier_counts")
def schedule_tier_counts(after_id: int = 0, batch: int = TIER_BATCH) -> int:
    """Fan the nightly tier count out: one task per batch of providers, walking provider ids."""
    ids = list(
        Provider.objects.filter(pk__gt=after_id).order_by("pk").values_list("pk", flat=True)[:batch]
    )
    if ids:
        refresh_provider_tiers.delay(ids)
    if len(ids) == batch:
        schedule_tier_counts.delay(after_id=ids[-1], batch=batch)
    return len(ids)


@shared_task(name="consents.tasks.refresh_provider_tiers")
def refresh_provider_tiers(provider_ids: list[int]) -> int:
    """Recount each provider's approved addresses (one aggregate query each); pinned tiers stay."""
    done = 0
    for provider in Provider.objects.filter(pk__in=provider_ids).order_by("pk"):
        provider_refresh_tier(provider=provider)
        done += 1
    return done


NOTIFY_BATCH = 100


@shared_task(name="consents.tasks.dispatch_review_notifications")
def dispatch_review_notifications() -> int:
    """Hourly: queue announcements/reminders that became due, then fan out every row still to send."""
    added = notify.queue_due_notifications()
    fan_out_review_notifications.delay(after_id=0)
    return added


@shared_task(name="consents.tasks.fan_out_review_notifications")
def fan_out_review_notifications(after_id: int = 0, batch: int = NOTIFY_BATCH) -> int:
    """One sending task per batch of pending rows, walking ids; re-queues itself for the next page."""
    ids = notify.pending_notification_ids(after_id=after_id, limit=batch)
    if ids:
        send_review_notifications.delay(ids)
    if len(ids) == batch:
        fan_out_review_notifications.delay(after_id=ids[-1], batch=batch)
    return len(ids)


@shared_task(
    bind=True,
    name="consents.tasks.send_review_notifications",
    autoretry_for=(notify.NotificationSendError,),
    retry_backoff=True,
    # Redis re-delivers an unacknowledged (countdown) task after the visibility timeout: keep the longest
    # backoff well below it (CELERY_BROKER_TRANSPORT_OPTIONS), or a waiting retry would run twice.
    retry_backoff_max=15 * 60,
    retry_jitter=True,
    max_retries=6,
)
def send_review_notifications(self, notification_ids: list[int]) -> dict[str, int]:
    """Send a batch. One failure does not hold up the others; the batch is retried with backoff and the
    retry only sends rows still PENDING (sent and claimed rows are skipped by the claim)."""
    outcome: dict[str, int] = {}
    failed: list[str] = []
    for notification_id in notification_ids:
        try:
            state = notify.send_review_notification(notification_id=notification_id)
        except notify.NotificationSendError as exc:
            failed.append(f"{notification_id}: {exc}")
            state = "RETRY"
        outcome[state] = outcome.get(state, 0) + 1
    if failed:
        raise notify.NotificationSendError("; ".join(failed)[:500])
    return outcome
