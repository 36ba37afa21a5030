"""Marka listeleme, bayi yönetimi, bayi izin erişimi, push bağlantıları ve iş ortağı marka listesi."""

from __future__ import annotations

from typing import Any, Optional

from django.http import HttpRequest, HttpResponse
from ninja import Router

from consents.models import ApiUserKind, PushState
from consents.recipients import normalize_phone
from consents.retailer_access import (
    brand_consent_id,
    brand_consent_ids,
    brand_retailer_ids,
    brand_retailers_with_access_counts,
    retailer_access_count,
    retailer_access_grant,
    retailer_access_replace,
    retailer_access_revoke,
    retailers_with_access,
)
from consents.selectors import consent_counts_by_brand
from providers import geo
from providers import services as setup
from providers.models import Brand, Retailer, RetailerKind
from providers.selectors import intermediary_brand_channels, retailer_counts_by_brand

from . import push
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
from .scope import brand_object, resolve
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
    counts = consent_counts_by_brand(brand_ids=ids)
    retailers = retailer_counts_by_brand(brand_ids=ids)
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
    if r.alias:
        body["alias"] = r.alias
    if r.contact_name:
        body["name"] = r.contact_name
    if r.city:
        body["city"] = {"code": str(r.city_code), "name": r.city} if r.city_code else {"name": r.city}
    if r.town:
        body["town"] = {"code": str(r.town_code), "name": r.town} if r.town_code else {"name": r.town}
    return body


@router.post(
    BASE + "/retailers",
    tags=["Bayi yönetimi"],
    summary="Bayi Ekleme",
    operation_id="createRetailer",
    response={201: RetailerCreatedOut, **ERRS},
)
def retailer_create(request: HttpRequest, iysCode: int, brandCode: int, payload: RetailerIn) -> HttpResponse:
    """Markaya bayi ekler ve 8 haneli bayi kodunu döndürür. İYS'nin istediği alanlar zorunludur: title, name,
    tckn (yetkilinin geçerli TC kimlik numarası), tin (geçerli VKN ya da TCKN), city ve town (`GET /info/city`,
    `GET /info/town` kodlarıyla; ilçe adıyla ya da koduyla eşleştirilir). Bütün hatalar birlikte döner."""
    ref = resolve(request.auth, bounded(iysCode, "iysCode"), bounded(brandCode, "brandCode"), action="manage")
    errors: list[dict[str, Any]] = []
    mobile = ""
    if payload.mobile:
        mobile = normalize_phone(payload.mobile) or ""
        if not mobile:
            errors.append(item("H224", location=["mobile"], value=payload.mobile))
    city_code = _place_code(payload.city, "city", ("H217", "H218", "H219"), errors)
    town_code = None
    if city_code is not None and payload.town is not None:
        town = geo.resolve_town(city_code, code=payload.town.code, name=payload.town.name or "")
        town_code = town.code if town else -1
    elif payload.town is not None:
        town_code = _as_int(payload.town.code)
    _place_code(payload.town, "town", ("H220", "H221", "H222"), errors)
    data = setup.RetailerData(
        name=payload.title or "",
        kind=payload.kind or RetailerKind.BAYI,
        alias=payload.alias or "",
        tax_number=_text(payload.tin),
        contact_name=payload.name or "",
        tckn=_text(payload.tckn),
        city_code=city_code,
        town_code=town_code,
        mobile=mobile,
    )
    reported = {e["location"][0] for e in errors}
    errors += [
        item(p.code, location=[p.field], value=p.value)
        for p in setup.retailer_problems(data)
        if p.field not in reported
    ]
    if errors:
        raise IysError(400, errors)
    try:
        retailer = setup.retailer_create(
            brand=brand_object(ref), data=data, user=None, actor_label=request.auth.label,
            action="api.retailer.create",
        )
    except setup.RetailerInvalid as err:
        raise IysError(400, [item(p.code, location=[p.field], value=p.value) for p in err.problems]) from None
    except setup.SetupError:
        raise IysError.of("H067") from None
    return json_response({"retailerCode": retailer.code}, 201)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _as_int(value: Any) -> int | None:
    text = _text(value)
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 6 else (-1 if text else None)


def _place_code(
    place: Any, field: str, codes: tuple[str, str, str], errors: list[dict[str, Any]]
) -> int | None:
    """İYS wants both halves of city/town: the object (H217/H220), its code (H218/H221), its name (H219/H222)."""
    missing, no_code, no_name = codes
    if place is None:
        errors.append(item(missing, location=[field]))
        return None
    if not _text(place.code):
        errors.append(item(no_code, location=[field, "code"]))
    if not _text(place.name):
        errors.append(item(no_name, location=[field, "name"]))
    code = _as_int(place.code)
    if code is None and _text(place.name) and field == "city":
        found = geo.city_by_name(place.name)
        return found.code if found else -1
    return code


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
    qs = brand_retailers_with_access_counts(brand_id=ref.id)
    total = qs.count()
    rows = [_retailer_json(r, r.access_count) for r in qs[off : off + lim]]
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
    return json_response(_retailer_json(retailer, retailer_access_count(retailer=retailer)))


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
    retailer = _retailer_of(ref, retailerCode)
    try:
        setup.retailer_delete(retailer=retailer, user=None, actor_label=request.auth.label, action="api.retailer.delete")
    except setup.SetupError:
        raise IysError.of("H061", retailerCode=retailer.code) from None
    return json_response({"message": "Başarı"})


# --- Retailer access on consents ----------------------------------------------------------------


def _retailers_by_code(ref: Any, codes: list[int], *, removing: bool = False) -> dict[int, int]:
    if not codes:
        raise IysError.of("H163", location=["retailerAccess"], value=[])
    known = brand_retailer_ids(brand_id=ref.id, codes=codes)
    unknown = [(pos, c) for pos, c in enumerate(codes) if c not in known]
    if unknown and removing:
        # İYS: removing the access of a dealer the brand does not have is 404 H058 (its example).
        raise IysError.of("H058", retailerCode=unknown[0][1])
    if unknown:
        raise IysError(403, [item("H180", location=["retailerAccess", pos], value=c) for pos, c in unknown])
    return known


def _consents_of(ref: Any, recipients: list[str], recipient_type: str, channel: str) -> list[int]:
    if not recipients:
        raise IysError.of("H164", location=["recipients"], value=[])
    values = [
        _normalised(r, channel, location=["recipients", pos], e164_only=True) for pos, r in enumerate(recipients)
    ]
    return brand_consent_ids(brand_id=ref.id, recipients=values, recipient_type=recipient_type, channel=channel)


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
    recipient = _normalised(payload.recipient, payload.type, location=["recipient"], e164_only=True)
    consent_id = brand_consent_id(
        brand_id=ref.id, recipient=recipient, recipient_type=payload.recipientType, channel=payload.type
    )
    if consent_id is None:
        raise IysError.of("H401")
    retailer_access_grant(
        provider_id=ref.provider_id, consent_ids=[consent_id], retailers=known, actor_label=request.auth.label,
        target=recipient,
    )
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
    retailer_access_replace(
        provider_id=ref.provider_id, consent_ids=consent_ids, retailers=known, actor_label=request.auth.label
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
    recipient = _normalised(payload.recipient, payload.type, location=["recipient"], e164_only=True)
    qs = retailers_with_access(
        brand_id=ref.id, recipient=recipient, recipient_type=payload.recipientType, channel=payload.type
    )
    total = qs.count()
    page = list(qs[off : off + lim])
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
    response={202: MessageOut, **ERRS},
)
def access_remove(
    request: HttpRequest, iysCode: int, brandCode: int, payload: RetailerAccessManyIn
) -> HttpResponse:
    ref = resolve(request.auth, bounded(iysCode, "iysCode"), bounded(brandCode, "brandCode"), action="manage")
    known = _retailers_by_code(ref, payload.retailerAccess, removing=True)
    consent_ids = _consents_of(ref, payload.recipients, payload.recipientType, payload.type)
    retailer_access_revoke(
        provider_id=ref.provider_id, consent_ids=consent_ids, retailers=known, actor_label=request.auth.label
    )
    return json_response({"message": "İşlem Başarılı."}, 202)  # İYS answers 202


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
    retailer_access_revoke(
        provider_id=ref.provider_id, consent_ids=consent_ids, retailers=None, actor_label=request.auth.label
    )
    return json_response({"message": "İşlem kabul edildi."}, 202)


# --- Push --------------------------------------------------------------------------------------

# İYS's own wording of a connection's state (not translated: clients compare these strings).
PUSH_STATUS_TEXT = {PushState.ACTIVE: "Bağlantı Oluşturuldu", PushState.REMOVED: "Bağlantı Kaldırıldı"}


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
    push.push_register(
        brand_id=ref.id,
        provider_id=ref.provider_id,
        connections=[push.PushConnection(c.type, c.url, c.username, c.password) for c in payload.connection],
        api_user_id=request.auth.api_user_id,
        actor_label=request.auth.label,
    )
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
    rows = push.push_registrations(brand_id=ref.id)[:100]
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
    push.push_unregister(
        brand_id=ref.id,
        provider_id=ref.provider_id,
        connection=push.PushConnection(payload.type, payload.url, payload.username, payload.password),
        actor_label=request.auth.label,
    )
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
    grants = intermediary_brand_channels(intermediary_id=principal.intermediary_id)
    rows = grants.values_list(
        "brand__brand_code",
        "brand__name",
        "brand__is_master",
        "brand__provider__name",
        "brand__provider__iys_code",
        "channel",
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
