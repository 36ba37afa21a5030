"""İYS's info services: provinces (il) and districts (ilçe) with İYS's codes, for a retailer's city/town."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Router

from providers import geo

from .errors import json_response
from .schemas import CityOut, ErrorsOut, TownOut

router = Router(tags=["Info servisleri"])
ERRS = {400: ErrorsOut, 401: ErrorsOut, 429: ErrorsOut}


def _town(t: geo.Town) -> dict[str, object]:
    # İYS's answers (its published examples) name the province `city_code`; its schema says `cityCode`.
    return {"name": t.name, "code": t.code, "city_code": t.city_code}


@router.get("/info/city", summary="İl Listeleme", operation_id="getCities", response={200: list[CityOut], **ERRS})
def city_list(request: HttpRequest) -> HttpResponse:
    """Tüm illeri isim ve kod bilgileriyle birlikte listeler."""
    return json_response([{"code": c.code, "name": c.name} for c in geo.cities()])


@router.get(
    "/info/city/{code}",
    summary="İl Sorgulama",
    operation_id="cityDetails",
    response={200: CityOut, 204: None, **ERRS},
)
def city_detail(request: HttpRequest, code: str) -> HttpResponse:
    """Sorgulanan ilin bilgisini getirir; bulunamazsa 204."""
    found = geo.city(code)
    if found is None:
        return HttpResponse(status=204)
    return json_response({"code": found.code, "name": found.name})


@router.get("/info/town", summary="İlçe Listeleme", operation_id="getTowns", response={200: list[TownOut], **ERRS})
def town_list(request: HttpRequest) -> HttpResponse:
    """Tüm ilçeleri bağlı bulundukları illerin kodlarıyla birlikte listeler."""
    return json_response([_town(t) for t in geo.towns()])


@router.get(
    "/info/town/{code}",
    summary="İlçe Sorgulama",
    operation_id="townDetails",
    response={200: TownOut, 204: None, **ERRS},
)
def town_detail(request: HttpRequest, code: str) -> HttpResponse:
    """Sorgulanan ilçenin bilgisini getirir; bulunamazsa 204."""
    found = geo.town(code)
    if found is None:
        return HttpResponse(status=204)
    return json_response(_town(found))
