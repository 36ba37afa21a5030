"""Celery tasks of the integration API: batches and push delivery. They take ids and are idempotent."""

from __future__ import annotations

import datetime as dt
import json
import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.retry import RETRY_TRANSIENT
from consents.models import (
    ApiBatchRequest,
    BatchState,
    ConsentEvent,
    DeliveryState,
    IntegratorAlert,
    PushDelivery,
    PushRegistration,
    PushState,
)

from consents.outbox import outbox_enqueue

from . import health
from .batch import batch_runner, process
from .common import fmt
from .egress import post_json
from .push import push_headers

log = logging.getLogger(__name__)
PUSH_MAX_ATTEMPTS = 8


@shared_task(name="consents.api.process_batch", **RETRY_TRANSIENT)
def process_api_batch(batch_id: int) -> None:
    """Apply a chunk of a batch request; re-queue while items remain (keeps each task short).

    One runner per batch (an advisory lock): a copy queued by the sweep while the batch is being worked on
    returns at once. The next chunk goes through the outbox, after the lock is released, so a broker outage
    between two chunks delays the batch by seconds instead of leaving it to the sweep."""
    with batch_runner(batch_id) as mine:
        more = mine and process(batch_id)
    if more:
        outbox_enqueue(process_api_batch.name, batch_id)


def event_payload(event: ConsentEvent, iys_code: int, brand_code: int) -> dict:
    """The İYS push body: {"list": [movement]} with the fields of its test message."""
    return {
        "list": [
            {
                "iysCode": iys_code,
                "brandCode": brand_code,
                "consentDate": fmt(event.consent_date),
                "creationDate": fmt(event.created_at),
                "source": event.source,
                "recipient": event.recipient,
                "recipientType": event.recipient_type,
                "status": event.status,
                "type": event.channel,
                "transactionId": event.transaction_id,
            }
        ]
    }


@shared_task(name="consents.api.push_event", **RETRY_TRANSIENT)
def push_event(event_id: int) -> None:
    """One delivery per active registration of the event's brand and channel (unique: safe to repeat)."""
    event = ConsentEvent.objects.filter(pk=event_id).first()
    if event is None or not (event.source or "").startswith("IYS_"):
        return
    registrations = PushRegistration.objects.filter(
        brand_id=event.brand_id, channel=event.channel, state=PushState.ACTIVE
    )
    for registration in registrations:
        try:
            with transaction.atomic():
                delivery = PushDelivery.objects.create(registration=registration, event=event)
        except IntegrityError:
            continue
        transaction.on_commit(lambda pk=delivery.pk: push_deliver.delay(pk))


def _backoff(attempt: int) -> int:
    base = int(getattr(settings, "API_PUSH_RETRY_BASE_SECONDS", 30))
    return min(base * 2 ** max(attempt - 1, 0), 3600)


@shared_task(name="consents.api.push_deliver", bind=True, acks_late=True, max_retries=PUSH_MAX_ATTEMPTS)
def push_deliver(self, delivery_id: int) -> str:  # noqa: ANN001
    """POST the movement with basic auth and an HMAC-SHA256 signature; retry with exponential backoff."""
    delivery = (
        PushDelivery.objects.select_related("registration", "registration__brand__provider", "event")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None or delivery.state != DeliveryState.PENDING:
        return "skip"
    registration = delivery.registration
    if registration.state != PushState.ACTIVE:
        PushDelivery.objects.filter(pk=delivery.pk).update(
            state=DeliveryState.FAILED, last_error="unregistered"
        )
        return "unregistered"
    brand = registration.brand
    body = json.dumps(
        event_payload(delivery.event, brand.provider.iys_code, brand.brand_code), ensure_ascii=False
    ).encode()
    # The address is checked again on every attempt and the connection goes to the checked address
    # (consents/api/egress.py): a receiver whose name now resolves inside our network is not called.
    outcome = post_json(
        registration.url,
        body,
        push_headers(registration.password, body, str(delivery.pk)),
        auth=(registration.username, registration.password),
    )
    ok, status_code = outcome.ok, outcome.status_code
    # Coarse on purpose: a timeout, a refused or reset connection and a TLS failure all read "unreachable".
    error = "" if ok else ("unreachable" if outcome.error == "timeout" else outcome.error)
    attempts = delivery.attempts + 1
    now = timezone.now()
    update = {
        "attempts": attempts,
        "last_status_code": status_code,
        "last_error": error[:500],
        "last_attempt_at": now,
    }
    if ok:
        PushDelivery.objects.filter(pk=delivery.pk).update(
            state=DeliveryState.DELIVERED, delivered_at=now, **update
        )
        return "delivered"
    if attempts >= PUSH_MAX_ATTEMPTS:
        PushDelivery.objects.filter(pk=delivery.pk).update(state=DeliveryState.FAILED, **update)
        log.warning("push delivery %s gave up after %s attempts (%s)", delivery.pk, attempts, error)
        return "failed"
    PushDelivery.objects.filter(pk=delivery.pk).update(**update)
    if self.request.is_eager:
        # Without a broker (embedded default) a retry would run at once and block the caller.
        return "pending"
    raise self.retry(countdown=_backoff(attempts))


# A batch still unfinished this long after it was made is queued again by the sweep: its runner holds the
# batch's advisory lock, so the copy of a batch being worked on returns at once, and a batch whose task died
# with its worker (acks late: the broker would redeliver it only after its visibility timeout) resumes.
STALE_BATCH_AFTER = dt.timedelta(seconds=20)
STALE_DELIVERY_AFTER = dt.timedelta(hours=2)


def sweep_every_s() -> float:
    return float(getattr(settings, "API_SWEEP_EVERY_S", 20))


@shared_task(name="consents.api.sweep")
def sweep_api_work() -> dict:
    """Safety net (beat, every API_SWEEP_EVERY_S): re-queue batches and push deliveries whose task was lost
    (a killed worker, a broker outage). Both tasks are idempotent, so a duplicate does no harm; the copies
    expire unstarted after one sweep interval, so a backlog does not pile them up."""
    now = timezone.now()
    batch_ids = list(
        ApiBatchRequest.objects.filter(
            state__in=[BatchState.PENDING, BatchState.PROCESSING], created_at__lt=now - STALE_BATCH_AFTER
        ).values_list("id", flat=True)[:500]
    )
    for batch_id in batch_ids:
        process_api_batch.apply_async((batch_id,), expires=sweep_every_s())
    delivery_ids = list(
        PushDelivery.objects.filter(state=DeliveryState.PENDING, created_at__lt=now - STALE_DELIVERY_AFTER)
        .filter(
            models.Q(last_attempt_at__isnull=True) | models.Q(last_attempt_at__lt=now - STALE_DELIVERY_AFTER)
        )
        .values_list("id", flat=True)[:500]
    )
    for delivery_id in delivery_ids:
        push_deliver.delay(delivery_id)
    return {"batches": len(batch_ids), "deliveries": len(delivery_ids)}


@shared_task(name="consents.api.check_integrator_health")
def check_integrator_health() -> int:
    """Beat: refresh every API user's 24-hour success rate; e-mail operators about each new alert.

    An alert is marked notified only after its e-mail went out, so a mail failure is retried next run."""
    health.check_integrator_health()
    addresses = health.operator_addresses()
    sent = 0
    pending = IntegratorAlert.objects.filter(resolved_at__isnull=True, notified_at__isnull=True).select_related(
        "api_user__provider", "api_user__intermediary"
    )
    for alert in pending if addresses else []:
        user = alert.api_user
        owner = user.provider or user.intermediary
        rate = 100 * (1 - alert.failures / alert.requests)
        send_mail(
            _("ileti: %(user)s API başarı oranı %%%(rate).1f") % {"user": user.username, "rate": rate},
            _(
                "%(owner)s adına çalışan %(user)s API kullanıcısının son 24 saatteki başarı oranı %%%(rate).1f "
                "(%(requests)s istekten %(failures)s tanesi 400/401/403/404/422 ile döndü). İYS'nin eşiği %%70'tir."
            )
            % {
                "owner": owner,
                "user": user.username,
                "rate": rate,
                "requests": alert.requests,
                "failures": alert.failures,
            },
            None,
            addresses,
        )
        IntegratorAlert.objects.filter(pk=alert.pk).update(notified_at=timezone.now())
        sent += 1
    return sent
