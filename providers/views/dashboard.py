"""Portal entry points: provider switcher and dashboard."""
from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..charts import movement_chart
from ..context import brand_accesses, provider_required, select_provider
from ..selectors import REJECTION_DAYS, build_dashboard
from ..tasks import refresh_dashboard


@require_POST
@login_required
def switch_provider(request: HttpRequest) -> HttpResponse:
    membership = select_provider(request, request.POST.get("provider_id"))
    if membership is None:
        messages.error(request, _("Bu hizmet sağlayıcıya üye değilsiniz."))
    else:
        messages.success(request, _("Artık %(name)s adına çalışıyorsunuz.") % {"name": membership.provider.name})
    # Object URLs of the previous provider would be 404s now; the dashboard always exists.
    return redirect("portal:dashboard")


@provider_required()
def dashboard(request: HttpRequest) -> HttpResponse:
    accesses = brand_accesses(request)
    own = [a.brand for a in accesses if not a.as_dealer]
    board = build_dashboard(provider=request.provider, brands=own, refresh=request.GET.get("yenile") == "1")
    if board.refresh_due:
        provider_id = request.provider.pk
        transaction.on_commit(lambda: refresh_dashboard.delay(provider_id), robust=True)
    today = timezone.localdate()
    return render(
        request,
        "portal/dashboard.html",
        {
            "board": board,
            "chart": movement_chart(board.days),
            "dealer_brands": [a for a in accesses if a.as_dealer],
            "rejections_since": today - dt.timedelta(days=REJECTION_DAYS - 1),
            "today": today,
        },
    )
