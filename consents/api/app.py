"""The NinjaAPI instance: routers, İYS-shaped exception handlers, OpenAPI at /api/openapi.json."""

from __future__ import annotations

import logging

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from config.outage import api_unavailable, is_outage
from consents.errors import ConsentRuleError

from .auth import bearer
from .errors import IysError, error_response
from .validation import iys_validation_error
from .views_consents import router as consents_router
from .views_info import router as info_router
from .views_maysend import router as maysend_router
from .views_reconciliation import router as reconciliation_router
from .views_setup import router as setup_router
from .views_token import router as token_router

log = logging.getLogger(__name__)

DESCRIPTION = """
İYS (İleti Yönetim Sistemi) API 3.2.0 ile aynı yollar ve JSON biçimleri: mevcut bir İYS istemcisi temel
adresi `https://<sunucu>/api` yaparak bu kayıt sistemiyle çalışır.

* Kimlik doğrulama: `POST /oauth2/token` (password ve refresh_token), ardından `Authorization: Bearer <jeton>`.
  Erişim jetonu 2 saat, yenileme jetonu 4 saat geçerlidir.
* Jeton yenileme: `grant_type=refresh_token` yeni bir erişim/yenileme jetonu çifti verir ve kullanılan yenileme
  jetonu o anda geçersiz olur (rotasyon). **Kullanılmış bir yenileme jetonu yeniden gönderilirse** bu, jetonun
  bir kopyasının başkasının elinde olduğu anlamına gelir: o API kullanıcısının **bütün canlı jetonları**
  (erişim ve yenileme) hemen sonlandırılır ve istemci kullanıcı adı ve parolayla yeniden jeton almalıdır.
* Birden çok işçi (worker, süreç, sunucu): aynı API kullanıcısının jetonlarını **tek bir jeton sahibi**
  yönetmelidir. Jetonu bir yerde alıp yenileyin (ör. paylaşılan önbellekte kilitle korunan tek bir yenileyici)
  ve işçiler erişim jetonunu oradan okusun. İki işçi aynı yenileme jetonunu aynı anda kullanırsa ikincisi
  "yeniden kullanım" sayılır ve kullanıcının bütün jetonları sonlanır. Erişim jetonunu süresi dolmadan (ör. son
  10 dakikada) yenileyin; 401 (H351) alan bir işçi jeton sahibinden yenisini istesin, kendisi yenilemesin.
  Ayrı işçi grupları için ayrı API kullanıcıları da tanımlanabilir.
* İzinli IP adresleri: hizmet sağlayıcının sahibi portalda bir API kullanıcısına IP adresleri ve ağları (CIDR)
  tanımlarsa o kullanıcı (jeton alma dahil) yalnızca bu adreslerden istek yapabilir; diğerleri 403 `H363` alır.
* Başarı oranı: İYS gibi, son 24 saatte 20.000 ve üzeri istekte 400/401/403/404/422 yanıtlarının payı %30'u
  aşarsa (başarı %70'in altına düşerse) operatörler uyarılır; oran portalın API kullanıcıları sayfasında görünür.
* Bir API kullanıcısı ya da hizmet sağlayıcısı pasife alındığında jetonları hemen geçersiz olur.
* Hatalar İYS biçimindedir: `{"errors": [{"code", "location", "value", "message"}]}`; kural ihlalleri 422
  (İYS'nin 400 dediği kurallarda 400), yetki 401/403, istek sınırı 429 ve `Retry-After` başlığı.
* İYS'de olmayan tek ek: `POST /sps/{iysCode}/brands/{brandCode}/may-send` (tek alıcı) ve `.../may-send/list`
  (en fazla 1000 alıcı) "gönderebilir miyim?" sorusunu nedeniyle cevaplar: ONAY, UNDER_REVIEW (inceleme süresi
  `reviewUntil`'e kadar), TACIR_NO_RECORD, CITIZEN_REJECTED (`rejectedAt`), RET, NO_RECORD.
* Aracı hizmet sağlayıcılar yalnızca kendilerini yetkilendiren marka ve kanallarda izin durumu sorgular;
  bayi kullanıcıları yalnızca çalıştıkları markada işlem yapar.
"""


class IysNinjaAPI(NinjaAPI):
    """Keeps the offending input in validation errors: İYS echoes it as the error's `value`."""

    def validation_error_from_error_contexts(self, error_contexts: list) -> ValidationError:
        errors = []
        for context in error_contexts:
            model = context.model
            for err in context.pydantic_validation_error.errors(include_url=False, include_context=False):
                loc = model.__ninja_flatten_map_reverse__.get(err["loc"], err["loc"])
                errors.append(
                    {
                        "loc": (model.__ninja_param_source__, *loc),
                        "type": err["type"],
                        "msg": err["msg"],
                        "input": err.get("input"),
                    }
                )
        return ValidationError(errors)


api = IysNinjaAPI(
    title="ileti — İYS uyumlu API",
    version="3.2.0-ileti",
    description=DESCRIPTION,
    urls_namespace="iys_api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    auth=bearer,
)
api.add_router("", token_router)
api.add_router("", consents_router)
api.add_router("", maysend_router)
api.add_router("", setup_router)
api.add_router("", info_router)
api.add_router("", reconciliation_router)


@api.exception_handler(IysError)
def _iys_error(request: HttpRequest, exc: IysError) -> HttpResponse:
    return error_response(exc)


@api.exception_handler(ConsentRuleError)
def _rule_error(request: HttpRequest, exc: ConsentRuleError) -> HttpResponse:
    return error_response(IysError.from_rule(exc))


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return error_response(iys_validation_error(request, exc.errors))


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(IysError.of("H351"))


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # ninja raises HttpError(400) for bodies that are not JSON.
    code = "H014" if exc.status_code == 400 else "H015"
    return error_response(IysError.of(code, status=exc.status_code if exc.status_code < 500 else 500))


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return error_response(IysError.of("ILT413"))


@api.exception_handler(SuspiciousOperation)
def _suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    # Too many form fields, a malformed multipart body...: the request is at fault, not the server.
    return error_response(IysError.of("H014"))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(IysError.of("ILT404"))


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    if is_outage(exc):
        # The database or Redis is unreachable: nothing was committed by this request (a committed write never
        # raises afterwards, see docs/operations.md), so the client may repeat it after Retry-After.
        log.warning("API unavailable on %s %s: %r", request.method, request.path, exc)
        return api_unavailable()
    log.exception("unexpected API error on %s %s", request.method, request.path)
    return error_response(IysError.of("H015"))
