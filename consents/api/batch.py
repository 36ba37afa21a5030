"""Asynchronous batches of up to 1,000 consents (İYS consents/request and its /v2 twin).

The request is checked synchronously the way İYS does (shape, formats, dates, sources, duplicate
keys, unknown dealers: 422/403 for the whole request, each error with its index). What depends on
the stored record (H174, H175, H178, H462, H463) is decided by the Celery task, per item, through
consents.services.consent_record, and reported as success/failure with the error of each item.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from config.db_router import api_user_key, remember_write
from consents.actors import Actor
from consents.errors import ConsentRuleError
from consents.models import (
    ApiBatchItem,
    ApiBatchRequest,
    ApiUser,
    BatchItemStatus,
    BatchState,
    RetailerAccess,
    Via,
)
from consents.outbox import outbox_enqueue
from consents.rules import Origin, check_movement, parse_consent_date
from consents.selectors import declaration_period_open_for, last_closed_period_for, period_info
from consents.services import consent_record
from providers.models import Brand, Retailer

from .common import fmt, new_id
from .errors import IysError, for_channel, item, rule_item
from .scope import dealer_actor

MAX_ITEMS = 1000
CHUNK = 250
PROCESS_TASK = "consents.api.process_batch"  # consents/api/tasks.py
BATCH_LOCK = 0xBA7C  # advisory lock namespace of batch runners (uploads use 0x11E7)


def static_checker(brand: Brand, now: dt.datetime):  # noqa: ANN201 - returns a closure
    """check_movement with the brand's declaration period looked up once for the whole batch."""
    today = timezone.localtime(now).date()
    open_period = declaration_period_open_for(brand.provider, on=today)
    deadline = None
    if open_period is None:
        closed = last_closed_period_for(brand.provider, on=today)
        deadline = closed.declare_until if closed else None
    period = period_info(open_period)

    def check(payload: dict[str, Any]):  # noqa: ANN202
        return check_movement(
            recipient=payload.get("recipient"),
            recipient_type=payload.get("recipientType"),
            channel=payload.get("type"),
            status=payload.get("status"),
            source=payload.get("source"),
            consent_date=payload.get("consentDate"),
            origin=Origin.PROVIDER,
            now=now,
            open_period=period,
            period_deadline=deadline,
            api_formats=True,
        )

    return check


def retailer_codes_of(
    brand: Brand, payloads: list[dict[str, Any]], *, is_dealer: bool
) -> list[dict[str, Any]]:
    """403 items (H180) for every retailerCode/retailerAccess that is not a dealer of this brand."""
    wanted: set[int] = set()
    for p in payloads:
        if p.get("retailerCode") is not None and not is_dealer:
            wanted.add(p["retailerCode"])
        wanted.update(p.get("retailerAccess") or [])
    known = (
        set(Retailer.objects.filter(brand=brand, code__in=wanted).values_list("code", flat=True))
        if wanted
        else set()
    )
    errors = []
    for index, p in enumerate(payloads):
        code = p.get("retailerCode")
        if code is not None and not is_dealer and code not in known:
            errors.append(item("H180", location=["retailerCode"], value=code, index=index))
        for pos, access in enumerate(p.get("retailerAccess") or []):
            if access not in known:
                errors.append(item("H180", location=["retailerAccess", pos], value=access, index=index))
    return errors


@transaction.atomic
def create_batch(
    *, api_user_id: int, brand: Brand, payloads: list[dict[str, Any]], version: int, is_dealer: bool
) -> tuple[ApiBatchRequest, list[ApiBatchItem]]:
    if not payloads:
        raise IysError.of("H092")
    if len(payloads) > MAX_ITEMS:
        raise IysError.of("H091")
    now = timezone.now()
    check = static_checker(brand, now)
    errors: list[dict[str, Any]] = []
    seen: dict[tuple[str, str, str], int] = {}
    for index, payload in enumerate(payloads):
        if payload.get("retailerAccess") == []:
            errors.append(item("H163", location=["retailerAccess"], value=[], index=index))
        try:
            movement = check(payload)
        except ConsentRuleError as err:
            errors.extend(rule_item(for_channel(e, payload.get("type")), index=index) for e in err.all)
            continue
        if movement.key in seen:
            errors.append(item("H194", index=index))
        else:
            seen[movement.key] = index
    retailer_errors = retailer_codes_of(brand, payloads, is_dealer=is_dealer)
    if errors or retailer_errors:
        raise IysError(422 if errors else 403, errors + retailer_errors)
    batch = ApiBatchRequest.objects.create(
        request_id=new_id(),
        version=version,
        api_user_id=api_user_id,
        brand=brand,
        item_count=len(payloads),
        created_at=now,
    )
    items = ApiBatchItem.objects.bulk_create(
        [
            ApiBatchItem(batch=batch, index=i, sub_request_id=new_id(), payload=p)
            for i, p in enumerate(payloads)
        ]
    )
    outbox_enqueue(PROCESS_TASK, batch.pk)  # committed with the batch: it always gets its task
    return batch, items


def accepted_response(batch: ApiBatchRequest, items: list[ApiBatchItem]) -> dict[str, Any]:
    created = fmt(batch.created_at)
    sub = []
    for it in items:
        p = it.payload
        entry = {
            "subRequestId": it.sub_request_id,
            "recipient": p.get("recipient"),
            "recipientType": p.get("recipientType"),
            "type": p.get("type"),
            "status": p.get("status"),
            "source": p.get("source"),
            "consentDate": p.get("consentDate"),
            "creationDate": created,
        }
        sub.append({k: v for k, v in entry.items() if v is not None})
    return {"requestId": batch.request_id, "subRequests": sub}


def actor_of(api_user: ApiUser) -> Actor:
    if api_user.retailer_id:
        return dealer_actor(api_user.retailer, api_user.username)
    return Actor.api_user(api_user.pk, f"API: {api_user.username}")


@contextlib.contextmanager
def batch_runner(batch_id: int) -> Iterator[bool]:
    """Yields True when this task is the batch's only runner (a PostgreSQL session advisory lock; a killed
    worker's lock ends with its connection). Elsewhere (SQLite: one writer anyway) always True."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [BATCH_LOCK, batch_id])
        mine = bool(cursor.fetchone()[0])
    try:
        yield mine
    finally:
        if mine:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [BATCH_LOCK, batch_id])
            except DatabaseError:
                connection.close()  # a broken connection took the lock with it; never reuse it


def process(batch_id: int, *, chunk: int = CHUNK) -> bool:
    """Apply up to `chunk` pending items; True when items remain (the task re-queues itself)."""
    batch = (
        ApiBatchRequest.objects.select_related("brand", "brand__provider", "api_user", "api_user__retailer")
        .filter(pk=batch_id)
        .first()
    )
    if batch is None or batch.state == BatchState.DONE:
        return False
    if batch.state == BatchState.PENDING:
        ApiBatchRequest.objects.filter(pk=batch.pk, state=BatchState.PENDING).update(
            state=BatchState.PROCESSING
        )
    actor = actor_of(batch.api_user)
    pending = list(batch.items.filter(status=BatchItemStatus.ENQUEUE).order_by("index")[: chunk + 1])
    for it in pending[:chunk]:
        _apply_item(batch, it, actor)
    # The API user reads its batch's consents back from the primary for a while (config/db_router.py).
    remember_write([api_user_key(batch.api_user_id)])
    if len(pending) > chunk:
        return True
    ApiBatchRequest.objects.filter(pk=batch.pk).update(state=BatchState.DONE, finished_at=timezone.now())
    return False


def _apply_item(batch: ApiBatchRequest, it: ApiBatchItem, actor: Actor) -> None:
    p = it.payload
    fields = [
        "status",
        "transaction_id",
        "creation_date",
        "error_code",
        "error_message",
        "original_request_id",
        "original_sub_request_id",
    ]
    try:
        # The movement and the item's result commit together: a crash never applies an item twice.
        with transaction.atomic():
            if (
                ApiBatchItem.objects.select_for_update()
                .filter(pk=it.pk, status=BatchItemStatus.ENQUEUE)
                .first()
                is None
            ):
                return
            result = consent_record(
                brand=batch.brand,
                recipient=p.get("recipient"),
                recipient_type=p.get("recipientType"),
                channel=p.get("type"),
                status=p.get("status"),
                source=p.get("source"),
                consent_date=p.get("consentDate"),
                retailer_code=p.get("retailerCode"),
                actor=actor,
                via=Via.API,
                allow_unchanged=batch.version == 2,
                # Judged as at the request (its 202 said the item passed the date rules then).
                judged_at=batch.created_at,
            )
            if result.changed:
                it.status = BatchItemStatus.SUCCESS
                it.transaction_id = result.event.transaction_id
                it.creation_date = result.event.created_at
            else:
                _unchanged_v2(it, result.consent, p)
            if it.status == BatchItemStatus.SUCCESS and p.get("retailerAccess"):
                grant_access(result.consent, p["retailerAccess"])
            it.save(update_fields=fields)
    except ConsentRuleError as err:
        it.status = BatchItemStatus.FAILURE
        it.error_code = err.code
        it.error_message = err.iys_message
        it.save(update_fields=fields)


def _unchanged_v2(it: ApiBatchItem, consent: Any, payload: dict[str, Any]) -> None:
    """/v2: the same consent with the same date again succeeds and names the request that recorded it."""
    try:
        same_date = parse_consent_date(payload.get("consentDate")) in (None, consent.consent_date)
    except ConsentRuleError:
        same_date = False
    if not same_date:
        raise ConsentRuleError("H174", field="status", value=payload.get("status"), status=consent.status)
    it.status = BatchItemStatus.SUCCESS
    it.transaction_id = consent.transaction_id
    it.creation_date = consent.updated_at
    original = (
        ApiBatchItem.objects.filter(transaction_id=consent.transaction_id)
        .exclude(pk=it.pk)
        .select_related("batch")
        .order_by("id")
        .first()
    )
    if original is not None:
        it.original_request_id = original.batch.request_id
        it.original_sub_request_id = original.sub_request_id


def grant_access(consent: Any, codes: list[int]) -> int:
    retailers = list(
        Retailer.objects.filter(brand_id=consent.brand_id, code__in=codes).values_list("id", flat=True)
    )
    created = RetailerAccess.objects.bulk_create(
        [RetailerAccess(consent=consent, retailer_id=r) for r in retailers], ignore_conflicts=True
    )
    return len(created)


def status_rows(batch: ApiBatchRequest) -> list[dict[str, Any]]:
    rows = []
    for it in batch.items.order_by("index"):
        entry: dict[str, Any] = {
            "index": it.index,
            "status": it.status,
            "subRequestId": it.sub_request_id,
            "subrequestId": it.sub_request_id,
        }
        if it.status == BatchItemStatus.SUCCESS:
            entry.update(
                requestId=batch.request_id,
                transactionId=it.transaction_id,
                creationDate=fmt(it.creation_date),
            )
            if batch.version == 2:
                entry["isAddConsentV2Service"] = True
                if it.original_request_id:
                    entry["originalRequestInformation"] = {
                        "requestId": it.original_request_id,
                        "subRequestId": it.original_sub_request_id,
                    }
        elif it.status == BatchItemStatus.FAILURE:
            entry["error"] = {"code": it.error_code, "message": it.error_message}
        rows.append(entry)
    return rows
