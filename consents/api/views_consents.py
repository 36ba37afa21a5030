"""İzin yönetimi: add one consent (+ idempotent /v2), batches (+ /v2), status, history, change feed."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any, Optional

from django.conf import settings
from django.db import connections, transaction
from django.db.models import Max, Min, Q
from django.http import HttpRequest, HttpResponse
from ninja import Router

from config.db_router import read_alias, replica_reads
from consents.errors import ConsentRuleError, h464
from consents.models import (
    ApiBatchRequest,
    ApiIdempotencyRecord,
    ApiUserKind,
    ConsentEvent,
    EventAction,
    Status,
    Via,
)
from consents.recipients import EMAIL, normalize_recipient
from consents.selectors import can_send_many, dealer_may_see_event
from consents.services import consent_record

from . import batch as batches
from .common import bounded, fmt, new_id, now, page_params, paged
from .errors import IysError, for_channel, item, json_response, rule_item
from .schemas import (
    AddConsentOut,
    BatchOut,
    ChangesOut,
    ConsentDetailOut,
    ConsentIn,
    ConsentQuery,
    ErrorsOut,
    HistoryOut,
    MultiStatusOut,
    RecipientsIn,
)
from .scope import actor_for, brand_object, dealer_of, resolve

router = Router(tags=["İzin yönetimi"])
ERRS = {
    400: ErrorsOut,
    401: ErrorsOut,
    403: ErrorsOut,
    404: ErrorsOut,
    413: ErrorsOut,
    422: ErrorsOut,
    429: ErrorsOut,
}
BASE = "/sps/{iysCode}/brands/{brandCode}"


# --- Adding consents -------------------------------------------------------------------------


def _idempotency_key(brand_id: int, payload: ConsentIn) -> str:
    body = json.dumps(payload.model_dump(mode="json", exclude_none=True), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(f"{brand_id}|{body}".encode()).hexdigest()


def _rule_items(err: ConsentRuleError, channel: Any) -> list[dict[str, Any]]:
    """Every error of the movement, as İYS lists them."""
    return [rule_item(for_channel(e, channel)) for e in err.all]


def _add_one(
    request: HttpRequest, iys_code: int, brand_code: int, payload: ConsentIn, *, v2: bool
) -> HttpResponse:
    principal = request.auth
    ref = resolve(principal, bounded(iys_code, "iysCode"), bounded(brand_code, "brandCode"), action="write")
    if not payload.model_fields_set:
        raise IysError.of("H085")  # an empty object is not a request to add a consent
    key = _idempotency_key(ref.id, payload) if v2 else ""
    if v2:
        done = ApiIdempotencyRecord.objects.filter(key=key).first()
        if done is not None:
            return json_response(
                {"transactionId": done.transaction_id, "creationDate": fmt(done.creation_date)}
            )
    brand = brand_object(ref)
    data = payload.model_dump(exclude_none=True)
    if data.get("retailerAccess") == []:
        # İYS lists the empty dealer list with the item's other errors.
        errors = [item("H163", location=["retailerAccess"], value=[])]
        try:
            batches.static_checker(brand, now())(data)
        except ConsentRuleError as err:
            errors.extend(_rule_items(err, data.get("type")))
        raise IysError(422, errors)
    is_dealer = principal.kind == ApiUserKind.RETAILER
    unknown = batches.retailer_codes_of(brand, [data], is_dealer=is_dealer)
    if unknown:
        raise IysError(403, [{k: v for k, v in e.items() if k != "index"} for e in unknown])
    try:
        with transaction.atomic():
            result = consent_record(
                brand=brand,
                recipient=data.get("recipient"),
                recipient_type=data.get("recipientType"),
                channel=data.get("type"),
                status=data.get("status"),
                source=data.get("source"),
                consent_date=data.get("consentDate"),
                retailer_code=None if is_dealer else data.get("retailerCode"),
                actor=actor_for(principal),
                via=Via.API,
                api_formats=True,
            )
            if data.get("retailerAccess"):
                batches.grant_access(result.consent, data["retailerAccess"])
            if v2:
                ApiIdempotencyRecord.objects.create(
                    key=key,
                    brand=brand,
                    transaction_id=result.event.transaction_id,
                    creation_date=result.event.created_at,
                )
    except ConsentRuleError as err:
        if v2 and err.code == "H174":
            done = ApiIdempotencyRecord.objects.filter(key=key).first()
            if done is not None:  # an identical request raced with this one and won
                return json_response(
                    {"transactionId": done.transaction_id, "creationDate": fmt(done.creation_date)}
                )
        raise IysError(err.http_status, _rule_items(err, data.get("type"))) from None
    return json_response(
        {"transactionId": result.event.transaction_id, "creationDate": fmt(result.event.created_at)}
    )


@router.post(
    BASE + "/consents",
    summary="Tekil İzin Ekleme",
    operation_id="addConsent",
    response={200: AddConsentOut, **ERRS},
)
def add_consent(request: HttpRequest, iysCode: int, brandCode: int, payload: ConsentIn) -> HttpResponse:
    """Tek bir izin hareketini kaydeder (ilk kayıt ya da durum değişikliği)."""
    return _add_one(request, iysCode, brandCode, payload, v2=False)


@router.post(
    "/v2" + BASE + "/consents",
    summary="Tekil İzin Ekleme V2",
    operation_id="addConsentV2",
    response={200: AddConsentOut, **ERRS},
)
def add_consent_v2(request: HttpRequest, iysCode: int, brandCode: int, payload: ConsentIn) -> HttpResponse:
    """Aynı parametre ve gövdeyle tekrar gönderilen istek aynı transactionId değerini döndürür."""
    return _add_one(request, iysCode, brandCode, payload, v2=True)


def _add_batch(
    request: HttpRequest, iys_code: int, brand_code: int, payload: list[ConsentIn], *, version: int
) -> HttpResponse:
    principal = request.auth
    ref = resolve(principal, bounded(iys_code, "iysCode"), bounded(brand_code, "brandCode"), action="write")
    brand = brand_object(ref)
    payloads = [p.model_dump(exclude_none=True) for p in payload]
    batch, items = batches.create_batch(
        api_user_id=principal.api_user_id,
        brand=brand,
        payloads=payloads,
        version=version,
        is_dealer=principal.kind == ApiUserKind.RETAILER,
    )
    # The batch's task was recorded with it (the outbox): queued after commit, or by the outbox sweep when the
    # broker cannot be reached now. Either way the stored batch is answered 202, never 500.
    return json_response(batches.accepted_response(batch, items), 202)


@router.post(
    BASE + "/consents/request",
    summary="Asenkron Çoklu İzin Ekleme",
    operation_id="addBatchConsent",
    response={202: BatchOut, **ERRS},
)
def add_batch(request: HttpRequest, iysCode: int, brandCode: int, payload: list[ConsentIn]) -> HttpResponse:
    """En fazla 1000 izni kuyruğa alır; sonuçlar requestId ile sorgulanır."""
    return _add_batch(request, iysCode, brandCode, payload, version=1)


@router.post(
    "/v2" + BASE + "/consents/request",
    summary="Asenkron Çoklu İzin Ekleme V2",
    operation_id="addBatchConsentV2",
    response={202: BatchOut, **ERRS},
)
def add_batch_v2(
    request: HttpRequest, iysCode: int, brandCode: int, payload: list[ConsentIn]
) -> HttpResponse:
    """Daha önce aynı tarihle kaydedilmiş bir izin başarılı sayılır ve ilk işlendiği istek bildirilir."""
    return _add_batch(request, iysCode, brandCode, payload, version=2)


def _batch_status(
    request: HttpRequest, iys_code: int, brand_code: int, request_id: str, version: int
) -> HttpResponse:
    ref = resolve(request.auth, bounded(iys_code, "iysCode"), bounded(brand_code, "brandCode"), action="read")
    if len(request_id) > 36:
        raise IysError.of("H198", location=["requestId"], value=request_id)
    if request_id.isdigit():
        raise IysError.of("H400", location=["requestId"], value=request_id)
    if request_id.isalpha():
        raise IysError.of("H199", location=["requestId"], value=request_id)
    batch = ApiBatchRequest.objects.filter(request_id=request_id, brand_id=ref.id, version=version).first()
    if batch is None:
        return json_response([])  # İYS answers unknown or expired request ids with an empty list
    return json_response(batches.status_rows(batch))


@router.get(
    BASE + "/consents/request/{requestId}",
    summary="Çoklu İzin Ekleme İsteği Sorgulama",
    operation_id="searchRequestDetails",
    response={200: list[dict], **ERRS},
)
def batch_status(request: HttpRequest, iysCode: int, brandCode: int, requestId: str) -> HttpResponse:
    """Her kalem için success / failure (hata koduyla) / enqueue."""
    return _batch_status(request, iysCode, brandCode, requestId, 1)


@router.get(
    "/v2" + BASE + "/consents/request/{requestId}",
    summary="Çoklu İzin Ekleme İsteği Sorgulama V2",
    operation_id="searchRequestDetailsV2",
    response={200: list[dict], **ERRS},
)
def batch_status_v2(request: HttpRequest, iysCode: int, brandCode: int, requestId: str) -> HttpResponse:
    return _batch_status(request, iysCode, brandCode, requestId, 2)


# --- Status ----------------------------------------------------------------------------------


def _normalised(
    raw: str,
    channel: str,
    *,
    location: list[Any],
    mismatch: str = "H464",
    mismatch_location: list[Any] | None = None,
    e164_only: bool = False,
) -> str:
    """The normalised address of a query, or İYS's error for it.

    İYS's own endpoints pass `e164_only` (phones only as E.164, as İYS); ileti's may-send takes any shape.

    A phone given for EPOSTA (or an e-mail for MESAJ/ARAMA) is H464 (at `mismatch_location` when given), or,
    as in İYS's examples of its single-recipient queries, a format error H120/H121 (`mismatch="format"`).
    """
    try:
        address = normalize_recipient(raw, e164_only=e164_only)
    except ConsentRuleError as err:
        if err.code == "H160":  # queries name the over-long number with their own code
            raise IysError.of("H166", location=location, value=raw) from None
        raise IysError(422, [rule_item(for_channel(err, channel)) | {"location": location}]) from None
    if (channel == "EPOSTA") != (address.kind == EMAIL):
        if mismatch == "H464":
            raise IysError(422, [rule_item(h464(channel, raw)) | {"location": mismatch_location or location}])
        code = "H120" if channel == "EPOSTA" else "H121"
        raise IysError(422, [rule_item(ConsentRuleError(code, value=raw)) | {"location": location}])
    return address.value


# One round trip: the intermediary's authorisation (TRUE for others), the consent and its dealer.
_STATUS_SQL = """
SELECT auth.ok, c.consent_date, c.updated_at, c.source, c.status, c.transaction_id, r.code, r.name,
       (SELECT count(*) FROM consents_retaileraccess ra WHERE ra.consent_id = c.id)
FROM (SELECT (CAST(%s AS BIGINT) IS NULL OR EXISTS (
        SELECT 1 FROM providers_intermediaryauthorization ia
        WHERE ia.intermediary_id = %s AND ia.brand_id = %s AND ia.channel = %s
          AND ia.revoked_at IS NULL)) AS ok) auth
LEFT JOIN consents_consent c
  ON auth.ok AND c.brand_id = %s AND c.recipient = %s AND c.recipient_type = %s AND c.channel = %s
  -- A dealer sees what it recorded or was given access to, and every rejection (a RET holds for all).
  AND (CAST(%s AS BIGINT) IS NULL OR c.status = 'RET' OR c.retailer_id = %s OR EXISTS (
        SELECT 1 FROM consents_retaileraccess da WHERE da.consent_id = c.id AND da.retailer_id = %s))
LEFT JOIN providers_retailer r ON r.id = c.retailer_id
"""


def _fetch_status(params: list[Any]) -> tuple:
    """The hot "may I send?" lookup; on PostgreSQL a server-side prepared statement (no re-planning).

    Read from a replica when one is healthy and the caller has not just written (config/db_router.py).

    The raw psycopg cursor skips Django's cursor wrapper, so it does by hand what that wrapper does: the
    health check of a reused connection first (CONN_HEALTH_CHECKS: a connection a database restart killed is
    replaced here, not used), and Django's error wrapping, which marks the connection so a broken one is
    discarded at the end of the request instead of failing every request until CONN_MAX_AGE ends it.
    """
    connection = connections[read_alias()]
    if connection.vendor == "postgresql":
        import psycopg

        connection.close_if_health_check_failed()
        connection.ensure_connection()
        with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(_STATUS_SQL, params, prepare=True)
            return cursor.fetchone()
    with connection.cursor() as cursor:
        cursor.execute(_STATUS_SQL, params)
        return cursor.fetchone()


@router.post(
    BASE + "/consents/status",
    summary="Tekil İzin Durumu Sorgulama",
    operation_id="consentDetail",
    response={200: ConsentDetailOut, **ERRS},
)
@replica_reads
def consent_status(request: HttpRequest, iysCode: int, brandCode: int, payload: ConsentQuery) -> HttpResponse:
    """Bir alıcının bu markadaki güncel izin kaydı."""
    principal = request.auth
    ref = resolve(
        principal,
        bounded(iysCode, "iysCode"),
        bounded(brandCode, "brandCode"),
        action="status",
        channel=payload.type,
        authorise_in_query=True,
    )
    recipient = _normalised(payload.recipient, payload.type, location=["recipient"], mismatch="format", e164_only=True)
    intermediary = principal.intermediary_id if principal.kind == ApiUserKind.INTERMEDIARY else None
    dealer = dealer_of(principal)
    params = [
        intermediary,
        intermediary,
        ref.id,
        payload.type,
        ref.id,
        recipient,
        payload.recipientType,
        payload.type,
        dealer,
        dealer,
        dealer,
    ]
    ok, consent_date, updated_at, source, status, tx, r_code, r_name, access_count = _fetch_status(params)
    if not ok:
        raise IysError.of("H353", field="type")
    if status is None:
        raise IysError.of("ILT404", message="İzin bulunamadı.")
    body: dict[str, Any] = {
        "consentDate": fmt(consent_date),
        "creationDate": fmt(updated_at),
        "source": source,
        "recipient": recipient,
        "recipientType": payload.recipientType,
        "status": status,
        "type": payload.type,
        "retailerAccessCount": access_count or 0,
        "transactionId": tx,
    }
    if r_code is not None:
        body["retailerCode"], body["retailerTitle"] = r_code, r_name
    return json_response(body)


@router.post(
    BASE + "/consents/{recipientType}/status/{type}",
    summary="Çoklu İzin Durumu Sorgulama",
    operation_id="batchConsentStatus",
    response={200: MultiStatusOut, **ERRS},
)
@replica_reads
def consent_status_many(
    request: HttpRequest, iysCode: int, brandCode: int, recipientType: str, type: str, payload: RecipientsIn
) -> HttpResponse:
    """En fazla 1000 alıcıdan kayıtlı izin durumu ONAY olanları listeler (İYS gibi)."""
    if recipientType not in ("BIREYSEL", "TACIR"):
        raise IysError.of("H116", location=["recipientType"], value=recipientType)
    if type not in ("ARAMA", "MESAJ", "EPOSTA"):
        raise IysError.of("H117", location=["type"], value=type)
    ref = resolve(
        request.auth,
        bounded(iysCode, "iysCode"),
        bounded(brandCode, "brandCode"),
        action="status",
        channel=type,
    )
    recipients = payload.recipients
    if not recipients:
        raise IysError.of("H164", location=["recipients"], value=[])
    originals: dict[str, str] = {}
    errors = []
    for pos, raw in enumerate(recipients):
        try:
            value = _normalised(
                raw, type, location=["recipients", pos], mismatch_location=["recipient"], e164_only=True
            )
        except IysError as err:
            errors.extend(err.errors)
            continue
        if value in originals:
            errors.append(item("H193", location=["recipients", pos], value=raw))
            continue
        originals[value] = raw
    if errors:
        raise IysError(422, errors)
    answers = can_send_many(
        brand=ref.id, recipients=originals.keys(), recipient_type=recipientType, channel=type, normalised=True,
        retailer_id=dealer_of(request.auth),
    )
    # As İYS: only recipients whose stored status is ONAY (a TACIR address without a record is not listed,
    # though ileti's may-I-send answers that it may be messaged).
    allowed = [
        raw for value, raw in originals.items() if answers[value].allowed and answers[value].status == Status.ONAY
    ]
    return json_response({"requestId": new_id(), "list": allowed})


# --- History and the change feed ---------------------------------------------------------------


def _event_row(e: dict[str, Any]) -> dict[str, Any]:
    row = {
        "consentDate": fmt(e["consent_date"]),
        "creationDate": fmt(e["created_at"]),
        "source": e["source"],
        "recipient": e["recipient"],
        "recipientType": e["recipient_type"],
        "status": e["status"],
        "type": e["channel"],
        "transactionId": e["transaction_id"],
    }
    return {k: v for k, v in row.items() if v is not None}


EVENT_FIELDS = (
    "id",
    "consent_date",
    "created_at",
    "source",
    "recipient",
    "recipient_type",
    "status",
    "channel",
    "transaction_id",
)


@router.post(
    BASE + "/consents/history",
    summary="İzin Geçmişi Listeme",
    operation_id="consentsHistory",
    response={200: HistoryOut, **ERRS},
)
@replica_reads
def consent_history(
    request: HttpRequest,
    iysCode: int,
    brandCode: int,
    payload: ConsentQuery,
    limit: Optional[str] = None,
    offset: Optional[str] = None,
) -> HttpResponse:
    """Bir alıcının bu markadaki izin hareketleri, izin tarihine göre yeniden eskiye."""
    ref = resolve(request.auth, bounded(iysCode, "iysCode"), bounded(brandCode, "brandCode"), action="read")
    lim, off = page_params(limit, offset)
    recipient = _normalised(payload.recipient, payload.type, location=["recipient"], mismatch="format", e164_only=True)
    # Finalising a declaration is ileti's bookkeeping, not a movement: İYS clients never see it.
    events = ConsentEvent.objects.filter(
        brand_id=ref.id, recipient=recipient, recipient_type=payload.recipientType, channel=payload.type
    ).exclude(action=EventAction.FINALIZE)
    dealer = dealer_of(request.auth)
    if dealer is not None:
        events = events.filter(dealer_may_see_event(dealer))
    total = events.count()
    rows = list(events.order_by("-consent_date", "-id").values(*EVENT_FIELDS)[off : off + lim])
    return json_response(paged([_event_row(e) for e in rows], offset=off, total=total))


def _first_event_since(brand_id: int, since: dt.datetime) -> int:
    """Where the 7-day window starts in the brand's movements, found by bisecting ids on the
    (brand, id) index: a brand with millions of older movements costs ~30 index probes, not a scan.
    Movements are recorded in time order, so the first movement at or after an id tells which side
    of the window that id is on."""
    events = ConsentEvent.objects.filter(brand_id=brand_id)
    bounds = events.aggregate(lo=Min("id"), hi=Max("id"))
    lo, hi = bounds["lo"], bounds["hi"]
    if lo is None:
        return 0
    hi += 1  # the answer lies in [lo, hi]: hi means "no movement in the window yet"
    while lo < hi:
        mid = (lo + hi) // 2
        row = events.filter(id__gte=mid).order_by("id").values_list("id", "created_at").first()
        if row is None or row[1] >= since:
            hi = mid
        else:
            lo = row[0] + 1
    return lo


def settle_seconds() -> int:
    return int(getattr(settings, "API_CHANGES_SETTLE_SECONDS", 60))


@router.get(
    BASE + "/consents/changes",
    summary="İzin Hareketi Sorgulama (Pull)",
    operation_id="PullPerBrandCode",
    response={200: ChangesOut, 204: None, **ERRS},
)
@replica_reads
def consent_changes(
    request: HttpRequest,
    iysCode: int,
    brandCode: int,
    after: Optional[str] = None,
    limit: Optional[str] = None,
    source: Optional[str] = None,
) -> HttpResponse:
    """Son 7 günün izin hareketleri, kayıt sırasıyla; `after` ile kalınan yerden devam edilir.

    Hareketler kayıt sırasına (hareket numarası) göre listelenir ve yazımı süren işlemlerin hareketleri
    atlanmasın diye son birkaç saniyenin hareketleri bir sonraki sorguya bırakılır: sayfalar boşluksuz
    ve tekrarsızdır.
    """
    ref = resolve(request.auth, bounded(iysCode, "iysCode"), bounded(brandCode, "brandCode"), action="read")
    source = (source or "IYS").upper()
    if source not in ("IYS", "HS"):
        raise IysError.of("H506", location=["source"], value=source)
    lim = 1000
    if limit not in (None, ""):
        try:
            lim = int(limit)
        except ValueError:
            raise IysError.of("H183", location=["limit"], value=limit) from None
        if lim > 1000:
            raise IysError.of("H507", location=["limit"], value=limit)
        if lim <= 0:
            raise IysError.of("H187" if lim == 0 else "H183", location=["limit"], value=limit)
    after_id = 0
    if after:
        _, _, tx = after.partition("_")
        found = (
            ConsentEvent.objects.filter(transaction_id=tx[:64], brand_id=ref.id)
            .values_list("id", flat=True)
            .first()
        )
        if found is None:
            raise IysError.of("ILT410", location=["after"], value=after)
        after_id = found
    moment = now()
    if not after:
        after_id = _first_event_since(ref.id, moment - dt.timedelta(days=7)) - 1
    cutoff = moment - dt.timedelta(seconds=settle_seconds())
    events = ConsentEvent.objects.filter(
        brand_id=ref.id, id__gt=after_id, created_at__gte=moment - dt.timedelta(days=7)
    ).exclude(action=EventAction.FINALIZE)  # not a movement (see consents.review.finalize)
    dealer = dealer_of(request.auth)
    if dealer is not None:
        events = events.filter(dealer_may_see_event(dealer))
    iys_only = Q(source__startswith="IYS_")
    events = (
        events.filter(iys_only) if source == "IYS" else events.exclude(iys_only & Q(source__isnull=False))
    )
    rows = []
    for e in events.order_by("id").values(*EVENT_FIELDS)[:lim]:
        # Stop at the first movement that has not settled: later pages resume exactly there.
        if e["created_at"] > cutoff:
            break
        rows.append(e)
    if not rows:
        return HttpResponse(status=204)
    last = rows[-1]
    # İYS's cursor: Unix seconds of the last movement, "_", its transaction id. The id alone places the
    # next page (time stamps are shared by many movements), so pages stay gap-free.
    cursor = f"{int(last['created_at'].timestamp())}_{last['transaction_id']}"
    return json_response({"after": cursor, "list": [_event_row(e) for e in rows]})
