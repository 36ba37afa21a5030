"""Campaign pre-check pages (/isletme/on-kontrol/): the form, the job's page with its progress, the result.

Thin: the list is stored and the job queued after the commit (consents.portal.precheck, .tasks); every page
is limited to the acting provider's own checks (another provider's check is a 404).
"""
from __future__ import annotations

from functools import partial

from django.conf import settings
from django.contrib import messages
from django.contrib.humanize.templatetags.humanize import intcomma
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from config.body_limit import body_limit
from consents.models import CampaignCheck, CheckState
from providers.context import own_brands, provider_required

from .precheck import PrecheckForm, keep_results_for, precheck_create, precheck_delete_result
from .tasks import run_campaign_check


def _precheck_max_body() -> int:
    # A recipient list is an upload: the upload page's limit plus room for the form's other fields.
    return settings.UPLOAD_MAX_BYTES + 1024 * 1024


@body_limit(_precheck_max_body)
@provider_required()
def campaign_precheck(request: HttpRequest) -> HttpResponse:
    """A recipient list in, a job out: its page follows the progress and offers the ZIP when it is done."""
    brands = list(own_brands(request.provider).filter(is_active=True).order_by("-is_master", "name"))
    form = PrecheckForm(request.POST or None, request.FILES or None, brands=brands)
    if request.method == "POST" and form.is_valid():
        audit = precheck_create(
            provider=request.provider, brand=form.brands[form.cleaned_data["brand"]],
            channel=form.cleaned_data["channel"], recipient_type=form.cleaned_data["recipient_type"],
            user=request.user, file=form.cleaned_data["file"], language=translation.get_language() or "tr",
        )
        # After the commit: the worker's own connection must see the row and the stored list.
        transaction.on_commit(partial(run_campaign_check.delay, audit.pk))
        return redirect("portal:campaign_check", pk=audit.pk)
    recent = CampaignCheck.objects.filter(provider=request.provider).select_related("brand", "user")[:10]
    return render(request, "portal/precheck.html", {"form": form, "recent": recent,
                                                     "keep_hours": _keep_hours()})


def _keep_hours() -> float:
    return keep_results_for().total_seconds() / 3600


def _check_or_404(request: HttpRequest, pk: int) -> CampaignCheck:
    audit = (
        CampaignCheck.objects.filter(provider=request.provider, pk=pk)
        .select_related("brand", "user", "result_deleted_by")
        .first()
    )
    if audit is None:
        raise Http404
    return audit


def _progress_text(audit: CampaignCheck) -> str:
    return _("%%%(percent)s · %(done)s / ~%(total)s satır") % {
        "percent": audit.percent, "done": intcomma(audit.rows),
        "total": intcomma(max(audit.rows_estimated, audit.rows)),
    }


def _status(audit: CampaignCheck) -> dict:
    return {
        "id": audit.pk,
        "state": audit.state,
        "state_label": str(audit.get_state_display()),
        "finished": audit.finished,
        "percent": audit.percent,
        "progress_text": _progress_text(audit),
        "rows": audit.rows,
        "rows_estimated": audit.rows_estimated,
        "allowed": audit.allowed,
        "refused": audit.refused,
        "invalid": audit.invalid,
        "error": audit.error_message,
        "result_url": reverse("portal:campaign_check_result", args=[audit.pk]) if audit.result else None,
    }


@provider_required()
def campaign_check(request: HttpRequest, pk: int) -> HttpResponse:
    audit = _check_or_404(request, pk)
    expires_at = audit.finished_at + keep_results_for() if audit.result and audit.finished_at else None
    return render(request, "portal/precheck_detail.html", {
        "check": audit, "status": _status(audit), "expires_at": expires_at, "done": audit.state == CheckState.DONE,
        "keep_hours": _keep_hours(),
    })


@provider_required()
def campaign_check_status(request: HttpRequest, pk: int) -> JsonResponse:
    return JsonResponse(_status(_check_or_404(request, pk)))


@provider_required()
def campaign_check_result(request: HttpRequest, pk: int) -> FileResponse:
    audit = _check_or_404(request, pk)
    if not audit.result:
        raise Http404
    stamp = timezone.localtime(audit.started_at).strftime("%Y%m%d-%H%M")
    response = FileResponse(
        audit.result.open("rb"), as_attachment=True, content_type="application/zip",
        filename=f"on-kontrol-{audit.brand.brand_code}-{stamp}.zip",
    )
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@provider_required()
def campaign_check_delete_result(request: HttpRequest, pk: int) -> HttpResponse:
    audit = _check_or_404(request, pk)
    if precheck_delete_result(audit=audit, user=request.user):
        messages.success(request, _("Sonuç dosyası silindi."))
    return redirect("portal:campaign_check", pk=audit.pk)
