"""Errors in İYS's shape: {"errors": [{"code", "location", "value", "message"}]}.

Rule violations come from consents.errors (the same codes the form and the CSV report use); the
codes below are the API's own (authentication, scoping, request shape, limits), worded like İYS.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse

from consents.errors import ERRORS, ConsentRuleError

# code -> (HTTP status, Turkish message as İYS words it)
API_ERRORS: dict[str, tuple[int, str]] = {
    "H014": (400, "Gönderilen istek JSON formatına uygun olmalıdır."),
    "H015": (500, "Beklenmedik bir hata oluştu."),
    "H016": (400, "Geçersiz girdi tespit edildi, gerekli alanlar: [title, name, tckn, city, town, tin]"),
    "H018": (404, "Marka:{brandCode} bulunamadı."),
    "H058": (404, "Bayi:{retailerCode} bulunamadı."),
    # İYS answers a dealer that cannot be deleted (it mediates consents) with this 500.
    "H061": (500, "Bayi:{retailerCode} silme operasyonu gerçekleştirilemedi"),
    "H067": (400, "Yeni üretilebilecek 8 haneli bayi kodu kalmamıştır."),
    "H084": (
        429,
        "Saatte kabul edilen kimlik doğrulama istek limitine ulaşıldı. Lütfen daha sonra tekrar deneyiniz.",
    ),
    "H085": (400, "İzin ekleme isteği geçerli olmalıdır."),
    "H090": (400, "Bayi ekleme isteği geçerli olmalıdır."),
    "H091": (422, "İzin ekleme sayısı en fazla 1000 olmalıdır."),
    "H092": (400, "Çoklu izin ekleme isteği geçerli olmalıdır."),
    "H093": (422, "{field} bulunamadı."),
    "H097": (400, "İzin sorgulama isteği geçerli olmalıdır."),
    "H118": (
        422,
        (
            "Alan değeri kabul edilemedi. İstek gövdesinde bulunabilecek değerler: recipientType, retailerAccess, "
            "recipient, retailerCode, source, type, consentDate, status olmalıdır."
        ),
    ),
    "H123": (400, "Ulaşmaya çalıştığınız servis şu anda meşguldür. Lütfen daha sonra tekrar deneyiniz."),
    "H124": (429, "Saniyede kabul edilen istek limitine ulaşıldı. Lütfen daha sonra tekrar deneyiniz."),
    "H125": (422, "Tek seferde eklenecek izin sayısı en fazla 1000 olmalıdır."),
    # The table says 100 (the retailer-access endpoints); İYS's consent examples say 3000, their limit.
    "H126": (422, "İzin erişimi olan bayilerin (retailer) liste uzunluğu en fazla {limit} olmalıdır."),
    "H127": (422, "Alıcı listesi (recipients) uzunluğu en fazla 100 olmalıdır."),
    "H163": (422, "Bayiler kabul edilemedi. Lütfen boş liste eklemeyiniz."),
    "H164": (422, "Alıcı listesi (recipients) kabul edilemedi. Liste boş olmamalıdır."),
    "H166": (422, "Alıcı (recipient) kabul edilemedi. Telefon numaraları 15 karakterden uzun olamaz."),
    "H168": (422, "Alıcı listesi (recipients) bulunamadı."),
    "H169": (422, "İzin erişimi olan bayiler (retailerAccess) bulunamadı."),
    "H171": (400, "Bayi izin erişimi vermek için geçerli bir istek gönderilmelidir."),
    "H172": (400, "Bayi izin erişimini silmek için geçerli bir istek gönderilmelidir."),
    "H173": (400, "Bayi izin erişimi sorgulamak için geçerli bir istek gönderilmelidir."),
    "H180": (
        403,
        "İstek gövdesinde yer alan bayi İYS numarasıyla (retailerCode) herhangi bir bayi bulunamadı.",
    ),
    "H182": (422, "offset değeri geçerli olmalıdır."),
    "H183": (422, "limit değeri geçerli olmalıdır."),
    "H186": (422, "Sayfalama (pagination) değeri en fazla 100 olabilir."),
    "H187": (422, "limit değerleri sıfır olmamalıdır."),
    "H190": (422, "iysCode integer bir değer olmalıdır."),
    "H191": (422, "brandCode integer bir değer olmalıdır."),
    "H193": (422, "Bayi İYS numarası ve alıcı değeri liste içinde tekrarlanamaz."),
    "H198": (422, "requestId 36 karakterden daha uzun olamaz."),
    "H199": (422, "requestId sadece harflerden meydana gelemez."),
    "H201": (400, "Girilen durum değeri geçersiz. Beklenen değerler: [active, suspended, passive]"),
    "H214": (400, "Bayi ticaret unvanı boş bırakılamaz!"),
    "H215": (400, "Bayi yetkilisi isim alanı boş bırakılamaz!"),
    "H216": (400, "Bayi yetkilisi tckn alanı boş bırakılamaz!"),
    "H217": (400, "Bayi il alanı boş bırakılamaz!"),
    "H218": (400, "Bayi il alanının code alanı boş bırakılamaz!"),
    "H219": (400, "Bayi il alanının name alanı boş bırakılamaz!"),
    "H220": (400, "Bayi ilçe alanı boş bırakılamaz!"),
    "H221": (400, "Bayi ilçe alanının code alanı boş bırakılamaz!"),
    "H222": (400, "Bayi ilçe alanının name alanı boş bırakılamaz!"),
    "H224": (
        400,
        "Telefon numarası geçersiz. Lütfen E164 uluslararası([+][country code][area code][local phone number]) "
        "formata uygun bir telefon numarası giriniz. (örn. +905992000000)",
    ),
    "H225": (400, "Kimlik numarası değeri geçersiz."),
    "H226": (400, "Kimlik numarası değeri 11 karakter olmalıdır."),
    "H231": (400, "kimlik numarası tekil olmalıdır."),
    "H243": (400, "Lütfen geçerli bir Vergi Kimlik Numarası giriniz."),
    "H244": (400, "Tin değeri 10 veya 11 karakter olmalıdır."),
    "H288": (400, "Tin değeri boş olmamalıdır"),
    # The table words H267 for iysCode; İYS's example for an empty retailerCode (retailerCodeEmpty) says this.
    "H267": (400, "retailerCode değeri boş string olmamalıdır!"),
    "H351": (401, "Eksik veya geçersiz jeton!"),
    "H353": (403, "{field}, kullanıcı izinleriyle eşleştirilemiyor"),
    "H363": (400, "Bu servisi kullanabilmek için yetkiniz bulunmamaktadır."),
    "H400": (422, "requestId sadece sayılardan meydana gelemez."),
    "H401": (400, "Bayi eklenmesi beklenen izin sistemde bulunmamaktadır."),
    "H478": (422, "Alıcı listesi (recipients) liste olmalıdır."),
    "H501": (422, "Tarih formatı yyyy-aa-gg şeklinde olmalıdır."),
    "H502": (422, "reportDate alanı en fazla 7 gün önce olabilir."),
    "H506": (422, "İzin kaynağı (source) bulunamadı."),
    "H507": (422, "limit alanı için karakter üst sınırı 1000 olmalıdır."),
    "H512": (422, "false kabul edilemedi. İzin verilen değerler: true"),
    "H530": (422, "Bağlantı kaldırılamadı."),
    "H531": (422, "Bağlantı linki (url) https ile başlamalıdır."),
    "H532": (422, "Her bir tip (type) için yalnızca iki adet aktif bağlantı oluşturulabilir."),
    "H1044": (405, "HTTP istek tipi geçersiz."),
    "ILT404": (404, "İstenen kaynak bulunamadı."),
    # İYS has no code for a body above the size limit (H123 means "service busy"): ileti's own.
    "ILT413": (413, "İstek gövdesi kabul edilen boyutu aşıyor."),
    "ILT410": (422, "after değeri geçerli olmalıdır."),
    "ILT411": (411, "İstek gövdesinin boyutu (Content-Length) belirtilmelidir."),
    # A database or Redis outage (İYS's H123 "busy" is a 400 its clients do not retry): 503 with Retry-After.
    "ILT503": (503, "Hizmet geçici olarak kullanılamıyor. Lütfen Retry-After başlığındaki süre sonra tekrar deneyiniz."),
}


def _message(code: str, params: dict[str, Any]) -> str:
    if code in API_ERRORS:
        template = API_ERRORS[code][1]
    else:
        template = ERRORS[code].tr
    try:
        return template.format(**params)
    except (KeyError, IndexError):
        return template


def status_of(code: str) -> int:
    if code in API_ERRORS:
        return API_ERRORS[code][0]
    return ERRORS[code].http_status


def _plain(value: Any) -> Any:
    """İYS types error values as strings; keep lists (its own examples do) and drop None."""
    if value is None or isinstance(value, (str, list)):
        return value
    if isinstance(value, (dict, bool)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def item(
    code: str,
    *,
    location: list[Any] | None = None,
    value: Any = None,
    index: int | None = None,
    message: str | None = None,
    **params: Any,
) -> dict[str, Any]:
    entry: dict[str, Any] = {"code": code, "message": message or _message(code, params)}
    if index is not None:
        entry["index"] = index
    if location:
        entry["location"] = location
    plain = _plain(value)
    if plain is not None:
        entry["value"] = plain
    return entry


def rule_item(
    err: ConsentRuleError, *, index: int | None = None, prefix: list[Any] | None = None
) -> dict[str, Any]:
    raw = err.as_iys()
    location = raw.get("location")
    if prefix and location:
        location = [*prefix, *location[1:]] if location[0] == prefix[0] else location
    return item(err.code, location=location, value=raw.get("value"), index=index, message=raw["message"])


def for_channel(err: ConsentRuleError, channel: Any) -> ConsentRuleError:
    """İYS names the expected format when the channel is known: H120 (e-mail) or H121 (phone), not H122."""
    if err.code != "H122" or channel not in ("EPOSTA", "MESAJ", "ARAMA"):
        return err
    return ConsentRuleError("H120" if channel == "EPOSTA" else "H121", field=err.field, value=err.value)


class IysError(Exception):
    """Raise from anywhere in an API handler; answered as {"errors": [...]} with the status."""

    def __init__(
        self, status: int, errors: list[dict[str, Any]], headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} {[e['code'] for e in errors]}")
        self.status = status
        self.errors = errors
        self.headers = headers or {}

    @classmethod
    def of(
        cls, code: str, *, status: int | None = None, headers: dict[str, str] | None = None, **kw: Any
    ) -> IysError:
        return cls(status or status_of(code), [item(code, **kw)], headers)

    @classmethod
    def from_rule(cls, err: ConsentRuleError, *, index: int | None = None) -> IysError:
        return cls(err.http_status, [rule_item(err, index=index)])


def not_yours(field: str) -> IysError:
    return IysError.of("H353", field=field)


# Built once: json.dumps with options builds a new encoder on every call (measurable on the hot path).
ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    body = ENCODER.encode(data).encode()
    response = HttpResponse(body, status=status, content_type="application/json; charset=utf-8", charset="utf-8")
    for key, value in (headers or {}).items():
        response[key] = value
    return response


def error_response(err: IysError) -> HttpResponse:
    return json_response({"errors": err.errors}, err.status, err.headers)
