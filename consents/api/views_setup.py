"""Marka listeleme, bayi yönetimi, bayi izin erişimi, push bağlantıları ve iş ortağı marka listesi."""

from __future__ import annotations

import secrets
from typing import Any, Optional

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, ProtectedError, Q, RestrictedError
from django.http import HttpRequest, HttpResponse
from ninja import Router

from consents.models import (
    ApiUser,
    ApiUserKind,
    Consent,
    ConsentEvent,
    PushRegistration,
    PushState,
    RetailerAccess,
    Status,
)
from consents.recipients import normalize_phone
from providers.models import Brand, IntermediaryAuthorization, ProviderAuditEvent, Retailer, RetailerKind

from .common import bounded, fmt, new_id, now, page_params, paged
from .errors import IysError, item, json_response, not_yours
from .schemas import (
    BrandOut,
    ConsentQuery,
    ErrorsOut,
    MessageOut,
    PushConnectionIn,
    PushRegistrationIn,
    PushStatusOut,
    RetailerAccessIn,
    RetailerAccessManyIn,
    RetailerAccessRemoveAllIn,
    RetailerCreatedOut,
    RetailerIn,
    RetailerListOut,
    RetailerOut,
    RetailersOfConsentOut,
    TransactionOut,
)
from .scope import resolve
from .views_consents import BASE, _normalised

router = Router()
ERRS = {
    400: ErrorsOut,
    401: ErrorsOut,
    403: ErrorsOut,
    404: ErrorsOut,
    413: ErrorsOut,
    422: ErrorsOut,
    429: ErrorsOut,
}


def _audit(request: HttpRequest, provider_id: int, action: str, target: str, **detail: Any) -> None:
    ProviderAuditEvent.objects.create(
        provider_id=provider_id,
        actor=None,
        actor_label=request.auth.label,
        action=action,
        target=target[:255],
        detail=detail,
    )


# --- Brands ------------------------------------------------------------------------------------


@router.get(
    "/sps/{iysCode}/brands",
    tags=["Marka yönetimi"],
    summary="Marka Listeleme",
    operation_id="getBrandsDetails",
    response={200: list[BrandOut], **ERRS},
)
def brands(request: HttpRequest, iysCode: int) -> HttpResponse:
    """Hizmet sağlayıcının markaları, izin sayıları ve bayi sayılarıyla."""
    principal = request.auth
    if principal.kind == ApiUserKind.INTERMEDIARY:
        raise IysError.of("H363")
    if principal.iys_code != bounded(iysCode, "iysCode"):
        raise not_yours("iysCode")
    qs = Brand.objects.filter(provider_id=principal.provider_id, is_active=True)
    if principal.kind == ApiUserKind.RETAILER:
        qs = qs.filter(pk=principal.retailer_brand_id)
    listed = list(qs.order_by("-is_master", "name").values("id", "brand_code", "name", "is_master"))
    ids = [b["id"] for b in listed]
    counts = {
        row["brand_id"]: row
        for row in Consent.objects.filter(brand_id__in=ids)
        .values("brand_id")
        .annotate(
            approval=Count("id", filter=Q(status=Status.ONAY)),
            rejection=Count("id", filter=Q(status=Status.RET)),
            total=Count("id"),
        )
    }
    retailers = dict(
        Retailer.objects.filter(brand_id__in=ids)
        .values("brand_id")
        .annotate(n=Count("id"))
        .values_list("brand_id", "n")
    )
    out = []
    for b in listed:
        c = counts.get(b["id"], {})
        out.append(
            {
                "brandCode": b["brand_code"],
                "name": b["name"],
                "master": b["is_master"],
                "stats": {
                    "consents": {
                        "approval": c.get("approval", 0),
                        "rejection": c.get("rejection", 0),
                        "total": c.get("total", 0),
                    },
                    "retailers": {"total": retailers.get(b["id"], 0)},
                },
            }
        )
    return json_response(out)


# --- Retailers ---------------------------------------------------------------------------------


def _retailer_json(r: Retailer, access_count: int = 0) -> dict[str, Any]:
    body: dict[str, Any] = {
        "retailerCode": r.code,
        "title": r.name,
        "status": "active",
        "retailerAccessCount": access_count,
    }
    if r.tax_number:
        body["tin"] = r.tax_number
    if r.mobile:
        body["mobile"] = r.mobile
    if r.city:
        body["city"] = {"name": r.city}
    if r.town:
        body["town"] = {"name": r.town}
    return body


@router.post(
    BASE + "/retailers",
    tags=["Bayi yönetimi"],
    summary="Bayi Ekleme",
    operation_id="createRetailer",
    response={201: RetailerCreatedOut, **ERRS},
)
def retailer_create(request: HttpRequest, iysCode: int, brandCode: int, payload: RetailerIn) -> HttpResponse:
    """Markaya bayi ekler ve 8 haneli bayi kodunu döndürür."""
    ref = resolve(request.auth, bounded(iysCode, "iysCode"), bounded(brandCode, "brandCode"), action="manage")
    mobile = ""
    if payload.mobile:
        mobile = normalize_phone(payload.mobile) or ""
        if not mobile:
            raise IysError.of("H224", location=["mobile"], value=payload.mobile)
    tin = str(payload.tin or payload.tckn or "").strip()
    if tin and (not tin.isdigit() or len(tin) not in (10, 11)):
        raise IysError.of("H244", location=["tin"], value=tin)
    for _ in range(20):
        code = 10_000_000 + secrets.randbelow(90_000_000)
        try:
            with transaction.atomic():
                retailer = Retailer.objects.create(
                    brand_id=ref.id,
                    code=code,
                    name=payload.title.strip(),
                    kind=payload.kind or RetailerKind.BAYI,
                    tax_number=tin,
                    city=(payload.city.name or "")[:64] if payload.city else "",
                    town=(payload.town.name or "")[:64] if payload.town else "",
                    mobile=mobile,
                )
                _audit(
                    request,
                    ref.provider_id,
                    "api.retailer.create",
                    f"{retailer.name} ({retailer.code})",
                    brand_code=ref.brand_code,
                )
        except IntegrityError:
            continue
        return json_response({"retailerCode": retailer.code}, 201)
    raise IysError.of("H067")


@router.get(
    BASE + "/retailers",
    tags=["Bayi yönetimi"],
    summary="Bayi Listeleme",
    operation_id="searchRetailers",
    response={200: RetailerListOut, **ERRS},
)
def retailer_list(
    request: HttpRequest,
    iysCode: int,
    brandCode: int,
    offset: Optional[str] = None,
    limit: Optional[str] = None,
) -> HttpResponse:
    ref = resolve(request.auth, bounded(iysCode, "iysCode"), bounded(brandCode, "brandCode"), action="manage")
    lim, off = page_params(limit, offset)
    qs = Retailer.objects.filter(brand_id=ref.id)
    total = qs.count()
    page = list(qs.annotate(n=Count("consent_accesses")).order_by("code")[off : off + lim])
    rows = [_retailer_json(r, r.n) for r in page]
    return json_response(paged(rows, offset=off, total=total, currentPage=off // lim + 1))


def _retailer_of(ref: Any, retailer_code: int) -> Retailer:
    retailer = Retailer.objects.filter(brand_id=ref.id, code=bounded(retailer_code, "retailerCode")).first()
    if retailer is None:
        raise IysError.of("H058", retailerCode=retailer_code)
    return retailer


@router.get(
    BASE + "/retailers/{retailerCode}",
    tags=["Bayi yönetimi"],
    summary="Bayi Sorgulama",
    operation_id="searchSingleRetailer",
    response={200: RetailerOut, **ERRS},
)
def retailer_get(request: HttpRequest, iysCode: int, brandCode: int, retailerCode: int) -> HttpResponse:
    ref = resolve(request.auth, bounded(iysCode, "iysCode"), bounded(brandCode, "brandCode"), action="manage")
    retailer = _retailer_of(ref, retailerCode)
    return json_response(_retailer_json(retailer, RetailerAccess.objects.filter(retailer=retailer).count()))


@router.delete(
    BASE + "/retailers/{retailerCode}",
    tags=["Bayi yönetimi"],
    summary="Bayi Sil",
    operation_id="deleteRetailer",
    response={200: MessageOut, **ERRS},
)
def retailer_delete(request: HttpRequest, iysCode: int, brandCode: int, retailerCode: int) -> HttpResponse:
    """Hiçbir izinle ilişkisi olmayan bayiyi siler; izinlerde adı geçen bayi silinemez."""
    ref = resolve(request.auth, bounded(iysCode, "iysCode"), bounded(brandCode, "brandCode"), action="manage")
    with transaction.atomic():
        retailer = _retailer_of(ref, retailerCode)
        retailer = Retailer.objects.select_for_update().get(pk=retailer.pk)
        in_use = (
            Consent.objects.filter(retailer=retailer).exists()
            or ConsentEvent.objects.filter(retailer=retailer).exists()
            or RetailerAccess.objects.filter(retailer=retailer).exists()
            or ApiUser.objects.filter(retailer=retailer).exists()
        )
        if in_use:
            raise IysError.of("H061", retailerCode=retailer.code)
        _audit(
            request,
            ref.provider_id,
            "api.retailer.delete",
            f"{retailer.name} ({retailer.code})",
            brand_code=ref.brand_code,
        )
        try:
            with transaction.atomic():
                retailer.delete()
        except (ProtectedError, RestrictedError, IntegrityError):
            # Something else of the registry still names this dealer: it stays, as İYS keeps it.
            raise IysError.of("H061", retailerCode=retailer.code) from None
    return json_response({"message": "Başarı"})


# --- Retailer access on consents ----------------------------------------------------------------


def _retailers_by_code(ref: Any, codes: list[int]) -> dict[int, int]:
    if not codes:
        raise IysError.of("H163", location=["retailerAccess"], value=[])
    known = dict(Retailer.objects.filter(brand_id=ref.id, code__in=codes).values_list("code", "id"))
    missing = [
        item("H180", location=["retailerAccess", pos], value=c)
        for pos, c in enumerate(codes)
        if c not in known
    ]
    if missing:
        raise IysError(403, missing)
    return known


def _consents_of(ref: Any, recipients: list[str], recipient_type: str, channel: str) -> list[int]:
    if not recipients:
        raise IysError.of("H164", location=["recipients"], value=[])
    values = [_normalised(r, channel, location=["recipients", pos]) for pos, r in enumerate(recipients)]
    return list(
        Consent.objects.filter(
            brand_id=ref.id, recipient__in=values, recipient_type=recipient_type, channel=channel
        ).values_list("id", flat=True)
    )


@router.post(
    BASE + "/consents/retailers/access",
    tags=["Bayi izin yönetimi"],
    summary="Bayi İzin Erişimi Ekleme",
    operation_id="addRetailers",
    response={200: TransactionOut, **ERRS},
)
def access_add(request: HttpRequest, iysCode: int, brandCode: int, payload: RetailerAccessIn) -> HttpResponse:
    ref = resolve(request.auth, bounded(iysCode, "iysCode"), bounded(brandCode, "brandCode"), action="manage")
    known = _retailers_by_code(ref, payload.retailerAccess)
    recipient = _normalised(payload.recipient, payload.type, location=["recipient"])
    consent_id = (
        Consent.objects.filter(
            brand_id=ref.id, recipient=recipient, recipient_type=payload.recipientType, channel=payload.type
        )
        .values_list("id", flat=True)
        .first()
    )
    if consent_id is None:
        raise IysError.of("H401")
    with transaction.atomic():
        RetailerAccess.objects.bulk_create(
            [RetailerAccess(consent_id=consent_id, retailer_id=r) for r in known.values()],
            ignore_conflicts=True,
        )
        _audit(request, ref.provider_id, "api.retailer_access.add", recipient, retailers=sorted(known))
    return json_response({"transactionId": new_id(), "creationDate": fmt(now())})


@router.put(
    BASE + "/consents/retailers/access",
    tags=["Bayi izin yönetimi"],
    summary="Bayi İzin Erişimi Verme",
    operation_id="overrideRetailers",
    response={202: MessageOut, **ERRS},
)
def access_override(
    request: HttpRequest, iysCode: int, brandCode: int, payload: RetailerAccessManyIn
) -> HttpResponse:
    """İzinlere erişimi olan bayileri verilen listeyle değiştirir."""
    ref = resolve(request.auth, bounded(iysCode, "iysCode"), bounded(brandCode, "brandCode"), action="manage")
    known = _retailers_by_code(ref, payload.retailerAccess)
    consent_ids = _consents_of(ref, payload.recipients, payload.recipientType, payload.type)
    with transaction.atomic():
        RetailerAccess.objects.filter(consent_id__in=consent_ids).exclude(
            retailer_id__in=known.values()
        ).delete()
        RetailerAccess.objects.bulk_create(
            [RetailerAccess(consent_id=c, retailer_id=r) for c in consent_ids for r in known.values()],
            ignore_conflicts=True,
        )
        _audit(
            request,
            ref.provider_id,
            "api.retailer_access.override",
            f"{len(consent_ids)} izin",
            retailers=sorted(known),
        )
    return json_response({"message": "İşlem kabul edildi."}, 202)


@router.post(
    "/sps/{iysCode}/brands/{brandCode}/consent/retailers/access/list",
    tags=["Bayi izin yönetimi"],
    summary="Bayi İzin Erişimi Sorgulama",
    operation_id="searchRetailersOfOneConsent",
    response={200: RetailersOfConsentOut, **ERRS},
)
def access_list(
    request: HttpRequest,
    iysCode: int,
    brandCode: int,
    payload: ConsentQuery,
    offset: Optional[str] = None,
    limit: Optional[str] = None,
) -> HttpResponse:
    ref = resolve(request.auth, bounded(iysCode, "iysCode"), bounded(brandCode, "brandCode"), action="manage")
    lim, off = page_params(limit, offset)
    recipient = _normalised(payload.recipient, payload.type, location=["recipient"])
    qs = Retailer.objects.filter(
        consent_accesses__consent__brand_id=ref.id,
        consent_accesses__consent__recipient=recipient,
        consent_accesses__consent__recipient_type=payload.recipientType,
        consent_accesses__consent__channel=payload.type,
    )
    total = qs.count()
    page = list(qs.order_by("code")[off : off + lim])
    rows = []
    for r in page:
        row = {
            k: v
            for k, v in _retailer_json(r).items()
            if k in ("retailerCode", "title", "mobile", "city", "town")
        }
        rows.append(row)
    return json_response(paged(rows, offset=off, total=total))


@router.post(
    BASE + "/consents/retailers/access/remove",
    tags=["Bayi izin yönetimi"],
    summary="Bayi İzin Erişimini Silme",
    operation_id="removeRelationBetweenRetailer",
    response={200: MessageOut, **ERRS},
)
def access_remove(
    request: HttpRequest, iysCode: int, brandCode: int, payload: RetailerAccessManyIn
) -> HttpResponse:
    ref = resolve(request.auth, bounded(iysCode, "iysCode"), bounded(brandCode, "brandCode"), action="manage")
    known = _retailers_by_code(ref, payload.retailerAccess)
    consent_ids = _consents_of(ref, payload.recipients, payload.recipientType, payload.type)
    with transaction.atomic():
        removed, _ = RetailerAccess.objects.filter(
            consent_id__in=consent_ids, retailer_id__in=known.values()
        ).delete()
        _audit(
            request,
            ref.provider_id,
            "api.retailer_access.remove",
            f"{len(consent_ids)} izin",
            retailers=sorted(known),
            removed=removed,
        )
    return json_response({"message": "İşlem Başarılı."})


@router.post(
    BASE + "/consents/retailers/access/remove/all",
    tags=["Bayi izin yönetimi"],
    summary="Tüm Bayilerin İzin Erişimini Silme",
    operation_id="removeRelationsBetweenRetailersAndConsents",
    response={202: MessageOut, **ERRS},
)
def access_remove_all(
    request: HttpRequest, iysCode: int, brandCode: int, payload: RetailerAccessRemoveAllIn
) -> HttpResponse:
    ref = resolve(request.auth, bounded(iysCode, "iysCode"), bounded(brandCode, "brandCode"), action="manage")
    consent_ids = _consents_of(ref, payload.recipients, payload.recipientType, payload.type)
    with transaction.atomic():
        removed, _ = RetailerAccess.objects.filter(consent_id__in=consent_ids).delete()
        _audit(
            request,
            ref.provider_id,
            "api.retailer_access.remove_all",
            f"{len(consent_ids)} izin",
            removed=removed,
        )
    return json_response({"message": "İşlem kabul edildi."}, 202)


# --- Push --------------------------------------------------------------------------------------

MAX_ACTIVE_PER_TYPE = 2
# İYS's own wording of a connection's state (not translated: clients compare these strings).
PUSH_STATUS_TEXT = {PushState.ACTIVE: "Bağlantı Oluşturuldu", PushState.REMOVED: "Bağlantı Kaldırıldı"}


def _check_url(url: str) -> None:
    allow_http = getattr(settings, "API_PUSH_ALLOW_HTTP", False)
    if not (url.startswith("https://") or (allow_http and url.startswith("http://"))):
        raise IysError.of("H531", location=["url"], value=url)


@router.post(
    BASE + "/push/registration",
    tags=["Push"],
    summary="İzin Hareketi İletimi (Push) - Bağlantı Oluşturma",
    operation_id="pushRegistration",
    response={200: MessageOut, **ERRS},
)
def push_register(
    request: HttpRequest, iysCode: int, brandCode: int, payload: PushRegistrationIn
) -> HttpResponse:
    """Vatandaşın kendi izin hareketleri (IYS_* kaynaklı) bu adrese POST edilir: temel kimlik doğrulama ve
    `X-Ileti-Signature: sha256=HMAC(parola, zaman damgası + "." + gövde)` imzasıyla; 5 saniye zaman aşımı,
    başarısız iletimler artan aralıklarla yeniden denenir."""
    ref = resolve(request.auth, bounded(iysCode, "iysCode"), bounded(brandCode, "brandCode"), action="manage")
    for conn in payload.connection:
        _check_url(conn.url)
    with transaction.atomic():
        for conn in payload.connection:
            active = PushRegistration.objects.select_for_update().filter(
                brand_id=ref.id, channel=conn.type, state=PushState.ACTIVE
            )
            same = active.filter(url=conn.url).first()
            if same is not None:
                same.username, same.password = conn.username, conn.password
                same.save(update_fields=["username", "password"])
                continue
            if active.count() >= MAX_ACTIVE_PER_TYPE:
                raise IysError.of("H532", location=["type"], value=conn.type)
            PushRegistration.objects.create(
                brand_id=ref.id,
                channel=conn.type,
                url=conn.url,
                username=conn.username,
                password=conn.password,
                created_by_id=request.auth.api_user_id,
            )
            _audit(request, ref.provider_id, "api.push.register", conn.url, channel=conn.type)
    return json_response({"message": "Bağlantı oluşturuldu"})


@router.get(
    BASE + "/push/registration",
    tags=["Push"],
    summary="İzin Hareketi İletimi (Push) - Bağlantı Durumu Sorgulama",
    operation_id="getPushRegistration",
    response={200: list[PushStatusOut], **ERRS},
)
def push_list(request: HttpRequest, iysCode: int, brandCode: int) -> HttpResponse:
    ref = resolve(request.auth, bounded(iysCode, "iysCode"), bounded(brandCode, "brandCode"), action="manage")
    rows = PushRegistration.objects.filter(brand_id=ref.id).order_by("-state_changed_at")[:100]
    return json_response(
        [
            {
                "url": r.url,
                "type": r.channel,
                "status": PUSH_STATUS_TEXT[r.state],
                "registerTime": fmt(r.state_changed_at),
            }
            for r in rows
        ]
    )


@router.post(
    BASE + "/push/unregistration",
    tags=["Push"],
    summary="İzin Hareketi İletimi (Push) - Bağlantı Kaldırma",
    operation_id="pushUnregistration",
    response={200: MessageOut, **ERRS},
)
def push_unregister(
    request: HttpRequest, iysCode: int, brandCode: int, payload: PushConnectionIn
) -> HttpResponse:
    ref = resolve(request.auth, bounded(iysCode, "iysCode"), bounded(brandCode, "brandCode"), action="manage")
    with transaction.atomic():
        registration = (
            PushRegistration.objects.select_for_update()
            .filter(
                brand_id=ref.id,
                channel=payload.type,
                url=payload.url,
                state=PushState.ACTIVE,
                username=payload.username,
                password=payload.password,
            )
            .first()
        )
        if registration is None:
            raise IysError.of("H530")
        registration.state = PushState.REMOVED
        registration.state_changed_at = now()
        registration.save(update_fields=["state", "state_changed_at"])
        _audit(request, ref.provider_id, "api.push.unregister", payload.url, channel=payload.type)
    return json_response({"message": "Bağlantı Kaldırıldı"})


# --- Intermediaries ----------------------------------------------------------------------------


@router.get(
    "/integrator/{integratorCode}/sps",
    tags=["İş ortakları"],
    summary="İş Ortaklarına Yetkilendirilmiş Marka Listeleme",
    operation_id="integratorList",
    response={200: dict, **ERRS},
)
def integrator_brands(
    request: HttpRequest, integratorCode: int, offset: Optional[str] = None, limit: Optional[str] = None
) -> HttpResponse:
    """Aracının yetkilendirildiği markalar ve kanal başına okuma yetkisi."""
    principal = request.auth
    if principal.kind != ApiUserKind.INTERMEDIARY:
        raise IysError.of("H363")
    if principal.intermediary_code != bounded(integratorCode, "integratorCode"):
        raise not_yours("integratorIysCode")
    lim, off = page_params(limit, offset)
    rows = (
        IntermediaryAuthorization.objects.filter(
            intermediary_id=principal.intermediary_id, revoked_at__isnull=True
        )
        .values_list(
            "brand__brand_code",
            "brand__name",
            "brand__is_master",
            "brand__provider__name",
            "brand__provider__iys_code",
            "channel",
        )
        .order_by("brand__brand_code", "channel")
    )
    brands: dict[int, dict[str, Any]] = {}
    for code, name, master, title, iys_code, channel in rows:
        entry = brands.setdefault(
            code,
            {
                "brandCode": code,
                "name": name,
                "master": master,
                "title": title,
                "iysCode": iys_code,
                "agreementControl": False,
                "viaControl": False,
            },
        )
        entry[channel] = "read"
    listed = list(brands.values())
    page = listed[off : off + lim]
    return json_response(paged(page, offset=off, total=len(listed)))
