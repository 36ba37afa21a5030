"""The business portal's reconciliation page: each brand's last seven days, the file, its hash, agreement."""
from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from consents.models import DailyReconciliation, ProcessStatus
from providers.context import get_brand_or_404, own_brands, provider_required

from . import daily
from .tasks import build_brand_day


def _day(raw: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        raise Http404 from None
    if not daily.within_window(day):
        raise Http404
    return day


@provider_required()
def reconciliation(request: HttpRequest) -> HttpResponse:
    brands = list(own_brands(request.provider).order_by("-is_master", "name"))
    if not brands:
        return render(request, "portal/reconciliation.html", {"brands": [], "days": []})
    selected = get_brand_or_404(request, request.GET.get("brand") or brands[0].brand_code)
    today = daily.istanbul_today()
    window = [today - dt.timedelta(days=n) for n in range(1, daily.KEEP_DAYS + 1)]
    records = {
        r.report_date: r
        for r in DailyReconciliation.objects.filter(brand=selected, report_date__in=window)
    }
    days = [{"date": d, "record": records.get(d)} for d in window]
    return render(
        request, "portal/reconciliation.html",
        {"brands": brands, "brand": selected, "days": days},
    )


@provider_required()
def reconciliation_file(request: HttpRequest, brand_code: int, day: str) -> HttpResponse:
    brand = get_brand_or_404(request, brand_code)
    date = _day(day)
    response = StreamingHttpResponse(
        (line.encode() for line in daily.file_lines(brand.pk, date)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{brand.brand_code}-{date.isoformat()}.csv"'
    return response


def _back(brand_code: int) -> HttpResponse:
    return redirect(f"{reverse('portal:reconciliation')}?brand={brand_code}")


@require_POST
@provider_required("can_manage_brands")
def reconciliation_agree(request: HttpRequest, brand_code: int, day: str) -> HttpResponse:
    brand = get_brand_or_404(request, brand_code)
    date = _day(day)
    record = DailyReconciliation.objects.filter(brand=brand, report_date=date, status=ProcessStatus.COMPLETED).first()
    if record is None:
        raise Http404
    if daily.agree(record=record, by=request.user.get_username()):
        messages.success(request, _("%(date)s günü için mutabakat kaydedildi.") % {"date": date.strftime("%d.%m.%Y")})
    return _back(brand.brand_code)


@require_POST
@provider_required("can_manage_brands")
def reconciliation_build(request: HttpRequest, brand_code: int, day: str) -> HttpResponse:
    brand = get_brand_or_404(request, brand_code)
    date = _day(day)
    transaction.on_commit(lambda: build_brand_day.delay(brand.pk, date.isoformat()))
    messages.success(request, _("%(date)s günü hazırlanıyor; birazdan sayfayı yenileyin.") % {"date": date.strftime("%d.%m.%Y")})
    return _back(brand.brand_code)
