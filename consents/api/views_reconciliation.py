"""Mutabakat (reconciliation) as İYS: a brand's day — counts, the movement file, its SHA-384, agreement."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from ninja import Router

from consents.ledger import daily
from consents.ledger.tasks import build_brand_day
from consents.models import DailyReconciliation, ProcessStatus, RecipientType
from providers.models import Channel

from .common import bounded
from .errors import IysError, json_response
from .schemas import AgreementIn, AgreementOut, ChangeSummaryOut, ErrorsOut
from .scope import resolve
from .views_consents import BASE

router = Router(tags=["Mutabakat yönetimi"])
ERRS = {401: ErrorsOut, 403: ErrorsOut, 422: ErrorsOut, 429: ErrorsOut}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _report_date(raw: str) -> dt.date:
    """İYS's reportDate: `YYYY-AA-GG` (H501), at most seven days back (H502)."""
    try:
        day = dt.date.fromisoformat(raw) if _DATE.match(raw or "") else None
    except ValueError:
        day = None
    if day is None:
        raise IysError.of("H501", location=["reportDate"], value=raw)
    if day < daily.istanbul_today() - dt.timedelta(days=daily.KEEP_DAYS):
        raise IysError.of("H502", location=["reportDate"], value=raw)
    return day


def _brand(request: HttpRequest, iys_code: int, brand_code: int) -> Any:
    return resolve(request.auth, bounded(iys_code, "iysCode"), bounded(brand_code, "brandCode"), action="manage")


def _no_content() -> HttpResponse:
    return HttpResponse(status=204)


def _record(brand_id: int, day: dt.date) -> DailyReconciliation | None:
    return DailyReconciliation.objects.filter(brand_id=brand_id, report_date=day).first()


@router.get(
    BASE + "/agreements/{reportDate}",
    summary="Mutabakat Bilgisi Sorgulama",
    operation_id="agreementsDate",
    response={200: AgreementOut, 204: None, **ERRS},
)
def agreement(request: HttpRequest, iysCode: int, brandCode: int, reportDate: str) -> HttpResponse:
    """Günün izin hareket dosyasının SHA-384 özeti (`hashValue`) ve mutabakat durumu. Gün, bittikten sonra
    (gece) hazırlanır; hazır değilse `processStatus: queued`. ileti ayrıca günün bağlandığı geçmiş zincirinin
    başını (`chainHead`) ve günün mührünü (`seal`) verir (docs/ledger.md)."""
    ref = _brand(request, iysCode, brandCode)
    day = _report_date(reportDate)
    record = _record(ref.id, day)
    if record is None or record.status != ProcessStatus.COMPLETED:
        if day > daily.istanbul_today() or (day < daily.istanbul_today() and not daily.day_events(ref.id, day).exists()):
            return _no_content()
        if day < daily.istanbul_today():
            transaction.on_commit(lambda: build_brand_day.delay(ref.id, day.isoformat()))
        return json_response({"processStatus": ProcessStatus.QUEUED.value, "agreementStatus": False})
    return json_response(
        {
            "processStatus": record.status,
            "hashValue": record.file_hash,
            "hashMethod": "SHA-384",
            "agreementStatus": record.agreed_at is not None,
            "movementCount": record.movements,
            "chainHead": record.chain_head,
            "chainSeq": record.chain_seq,
            "seal": record.seal,
        }
    )


@router.put(
    BASE + "/agreements/{reportDate}",
    summary="Mutabakat Bilgisi Kaydetme",
    operation_id="agreementDatePut",
    response={200: AgreementOut, 204: None, **ERRS},
)
def agreement_put(
    request: HttpRequest, iysCode: int, brandCode: int, reportDate: str, payload: AgreementIn
) -> HttpResponse:
    """Hizmet sağlayıcı kendi dosyasının özetinin `hashValue` ile aynı olduğunu bildirir (yalnızca `true`)."""
    ref = _brand(request, iysCode, brandCode)
    day = _report_date(reportDate)
    if payload.agreementStatus is not True:
        raise IysError.of("H512", location=["agreementStatus"])
    record = _record(ref.id, day)
    if record is None or record.status != ProcessStatus.COMPLETED:
        return _no_content()
    daily.agree(record=record, by=request.auth.label)
    return json_response({"agreementCaptured": True})


# İYS declares the 200 answer as `text/plain` (example null) and describes the file as a `.tsr`: the DER bytes of
# an RFC 3161 TimeStampResp, sent as İYS's document says rather than as application/timestamp-reply, so that
# clients generated from İYS's document accept it.
_TIMESTAMP_200 = {"200": {"description": "İşlem Başarılı", "content": {"text/plain": {
    "schema": {"type": "string", "format": "binary"},
    "examples": {"default": {"value": None}},
}}}}


@router.get(
    BASE + "/agreements/{reportDate}/timestamp",
    summary="Zaman Damgası Özet Dosyası İndirme",
    operation_id="agreementTimeStamp",
    response=ERRS,  # the 200 answer is declared once, as İYS's text/plain (a second, int-keyed 200 breaks Swagger UI)
    openapi_extra={"responses": _TIMESTAMP_200},
)
def agreement_timestamp(request: HttpRequest, iysCode: int, brandCode: int, reportDate: str) -> HttpResponse:
    """Günün hareket dosyasının zaman damgası özet dosyası (`.tsr`, RFC 3161 TimeStampResp): SHA-384 `hashValue`
    üzerine, gün hazırlanırken ileti'nin zaman damgası anahtarıyla imzalanmıştır
    (`openssl ts -verify -data gun.csv -in gun.tsr -CAfile ileti-tsa.pem`)."""
    ref = _brand(request, iysCode, brandCode)
    day = _report_date(reportDate)
    record = _record(ref.id, day)
    if record is None or record.status != ProcessStatus.COMPLETED:
        raise IysError.of("ILT404")
    response = HttpResponse(daily.timestamp_token(record=record), content_type="text/plain")
    response["Content-Disposition"] = f'attachment; filename="{brandCode}-{day.isoformat()}.tsr"'
    return response


@router.get(
    BASE + "/changes/{reportDate}/file",
    summary="Günlük İzin Hareket Dosyası İndirme",
    operation_id="agreementFile",
    response={200: str, 204: None, **ERRS},
)
def changes_file(request: HttpRequest, iysCode: int, brandCode: int, reportDate: str) -> HttpResponse:
    """Günün izin hareketleri (CSV, `\\n` ile biten); SHA-384 özeti `hashValue` ile aynıdır."""
    ref = _brand(request, iysCode, brandCode)
    day = _report_date(reportDate)
    if day >= daily.istanbul_today() or not daily.day_events(ref.id, day).exists():
        return _no_content()
    response = StreamingHttpResponse(
        (line.encode() for line in daily.file_lines(ref.id, day)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{brandCode}-{day.isoformat()}.csv"'
    return response


@router.get(
    BASE + "/changes/{reportDate}/recipients/{recipientType}",
    summary="Mutabakat Özeti Sorgulama",
    operation_id="changeSummary",
    response={200: ChangeSummaryOut, **ERRS},
)
def change_summary(
    request: HttpRequest, iysCode: int, brandCode: int, reportDate: str, recipientType: str
) -> HttpResponse:
    """Günün kanal başına hareket sayıları: `HS` işletmenin, `IYS` vatandaşların hareketleri."""
    ref = _brand(request, iysCode, brandCode)
    day = _report_date(reportDate)
    if recipientType not in RecipientType.values:
        raise IysError.of("H116", location=["recipientType"], value=recipientType)
    record = _record(ref.id, day)
    if record is not None and record.status == ProcessStatus.COMPLETED:
        summary = record.summary
    else:
        summary = daily.day_summary(ref.id, day, now=timezone.now())
    stats = summary[recipientType]
    return json_response(
        {
            "changeStats": [
                {"type": channel, "consents": [{"source": g, **stats[channel][g]} for g in ("HS", "IYS")]}
                for channel in (Channel.ARAMA, Channel.MESAJ, Channel.EPOSTA)
            ]
        }
    )
