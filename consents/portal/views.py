"""Consent pages of the business portal: search, detail, single-consent form, export, change feed.

Every read is limited to the brands the acting provider may see (its own, plus a brand it serves
as dealer); a consent of any other brand is a 404.
"""
from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from config.db_router import read_alias, replica_reads
from consents.errors import ConsentRuleError
from consents.models import ActorKind, Consent, ConsentEvent, RecipientType, Via
from consents.rules import ISTANBUL
from consents.selectors import (
    SendAnswer,
    citizen_rejection_for_key,
    consent_history,
    send_answers_for_address,
)
from consents.services import consent_record
from consents.spreadsheets import XLSX_CONTENT_TYPE
from providers.context import (
    BrandAccess,
    actor_for,
    brand_accesses,
    provider_required,
)
from providers.models import Brand, Channel

from .export import csv_lines, export_rows, write_xlsx
from .forms import (
    ChangeFeedForm,
    ConsentFilterForm,
    ConsentForm,
    dealer_brands,
    visible_consents_q,
    visible_events_q,
)

PAGE_SIZE = 50
FEED_PAGE_SIZE = 50


def _filtered(request: HttpRequest) -> tuple[ConsentFilterForm, object]:
    form = ConsentFilterForm(request.GET or None, accesses=brand_accesses(request))
    return form, form.filter(Consent.objects.all())


@dataclass(frozen=True, slots=True)
class SendRow:
    """One line of the "may I send?" box: a brand and channel, answered for each recipient type."""

    brand: Brand
    channel: str
    channel_label: str
    bireysel: SendAnswer
    tacir: SendAnswer


def _send_rows(form: ConsentFilterForm, accesses: list[BrandAccess]) -> list[SendRow]:
    """The API's may-send answer for the searched address, per brand and channel the filters leave."""
    recipient = form.normalised_recipient
    if not recipient:
        return []
    data = form.cleaned_data if form.is_valid() else {}
    brands = [a.brand for a in accesses if not data.get("brand") or str(a.brand.brand_code) == data["brand"]]
    kind_channels = [Channel.EPOSTA] if "@" in recipient else [Channel.MESAJ, Channel.ARAMA]
    channels = [c for c in kind_channels if not data.get("channel") or c == data["channel"]]
    answers = send_answers_for_address(
        brand_ids=[b.pk for b in brands], recipient=recipient, channels=channels, dealer_brands=dealer_brands(accesses)
    )
    labels = dict(Channel.choices)
    return [
        SendRow(b, c, labels[c], answers[(b.pk, c, RecipientType.BIREYSEL)], answers[(b.pk, c, RecipientType.TACIR)])
        for b in brands
        for c in channels
    ]


@provider_required()
def consent_list(request: HttpRequest) -> HttpResponse:
    form, consents = _filtered(request)
    page = Paginator(
        consents.select_related("brand", "retailer").order_by("-id"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "portal/consents.html",
        {
            "form": form, "page": page, "query": query.urlencode(), "now": timezone.now(),
            "send_rows": _send_rows(form, brand_accesses(request)),
        },
    )


@replica_reads
@provider_required()
def consent_export(request: HttpRequest) -> StreamingHttpResponse:
    _form, consents = _filtered(request)
    # The rows are read while the response streams, after this view returned: the alias is fixed now.
    consents = consents.using(read_alias())
    stamp = timezone.localtime(timezone.now(), ISTANBUL).strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(csv_lines(export_rows(consents)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="izinler-{request.provider.iys_code}-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response


@replica_reads
@provider_required()
def consent_export_xlsx(request: HttpRequest) -> FileResponse:
    _form, consents = _filtered(request)
    stamp = timezone.localtime(timezone.now(), ISTANBUL).strftime("%Y%m%d-%H%M")
    # A workbook is a zip: it is written whole to a temporary file (rows streamed), then sent.
    target = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it once sent
    write_xlsx(export_rows(consents), target)
    target.seek(0)
    response = FileResponse(
        target, as_attachment=True, filename=f"izinler-{request.provider.iys_code}-{stamp}.xlsx",
        content_type=XLSX_CONTENT_TYPE,
    )
    response["Cache-Control"] = "no-store"
    return response


@provider_required()
def consent_detail(request: HttpRequest, pk: int) -> HttpResponse:
    consent = (
        Consent.objects.filter(visible_consents_q(brand_accesses(request)), pk=pk)
        .select_related("brand", "retailer", "declaration_period")
        .first()
    )
    if consent is None:
        raise Http404
    events = consent_history(consent).select_related("retailer", "actor_user")
    accesses = consent.retailer_accesses.select_related("retailer").order_by("retailer__code")
    return render(
        request,
        "portal/consent_detail.html",
        {"consent": consent, "events": events, "retailer_accesses": accesses},
    )


@provider_required("can_write_consents")
def consent_create(request: HttpRequest) -> HttpResponse:
    accesses = brand_accesses(request)
    if not accesses:
        messages.error(request, _("İzin eklemek için önce bir marka tanımlayın."))
        return redirect("portal:brands")
    # The detail page links here with the key filled in, to change a consent's status.
    initial = {k: request.GET[k] for k in ("brand", "recipient", "channel", "recipient_type", "status") if k in request.GET}
    form = ConsentForm(request.POST or None, accesses=accesses, initial=initial)
    # The recipient's own rejection in force on this key is shown before anyone turns it back into a consent.
    key = form.key()
    rejection = None
    if key is not None:
        access, recipient, recipient_type, channel = key
        rejection = citizen_rejection_for_key(
            brand=access.brand, recipient=recipient, recipient_type=recipient_type, channel=channel
        )
    if request.method == "POST" and form.is_valid():
        access = form.access()
        if access is None:
            form.add_error("brand", _("Bir marka seçin."))
        else:
            data = form.cleaned_data
            try:
                result = consent_record(
                    brand=access.brand,
                    recipient=data["recipient"],
                    recipient_type=data["recipient_type"],
                    channel=data["channel"],
                    status=data["status"],
                    source=data["source"] or None,
                    consent_date=data["consent_date"] or None,
                    retailer_code=None if access.as_dealer else (data["retailer_code"] or None),
                    actor=actor_for(request, access),
                    via=Via.WEB,
                    evidence_note=data["evidence_note"],
                    require_override_evidence=True,
                )
            except ConsentRuleError as err:
                form.add_rule_error(err)
            else:
                messages.success(
                    request,
                    _("İzin kaydedildi: %(recipient)s %(channel)s → %(status)s.")
                    % {
                        "recipient": result.consent.recipient,
                        "channel": result.consent.get_channel_display(),
                        "status": result.consent.get_status_display(),
                    },
                )
                return redirect("portal:consent_detail", pk=result.consent.pk)
    return render(request, "portal/consent_form.html", {"form": form, "citizen_rejection": rejection})


@replica_reads
@provider_required()
def change_feed(request: HttpRequest) -> HttpResponse:
    """What citizens and the registry changed, newest first; keyset pages by id (`before`)."""
    accesses = brand_accesses(request)
    form = ChangeFeedForm(request.GET or None, accesses=accesses)
    events = ConsentEvent.objects.filter(
        visible_events_q(accesses), actor_kind__in=[ActorKind.CITIZEN, ActorKind.SYSTEM]
    )
    if form.is_valid():
        data = form.cleaned_data
        if data.get("brand"):
            events = events.filter(brand_id__in=[a.brand.pk for a in accesses if str(a.brand.brand_code) == data["brand"]])
        if data.get("date_from"):
            events = events.filter(created_at__gte=dt.datetime.combine(data["date_from"], dt.time(), tzinfo=ISTANBUL))
        if data.get("date_to"):
            end = dt.datetime.combine(data["date_to"] + dt.timedelta(days=1), dt.time(), tzinfo=ISTANBUL)
            events = events.filter(created_at__lt=end)
    try:
        before = int(request.GET.get("before", ""))
    except ValueError:
        before = None
    if before:
        events = events.filter(id__lt=before)
    rows = list(events.select_related("brand", "consent").order_by("-id")[: FEED_PAGE_SIZE + 1])
    has_more = len(rows) > FEED_PAGE_SIZE
    rows = rows[:FEED_PAGE_SIZE]
    query = request.GET.copy()
    query.pop("before", None)
    return render(
        request,
        "portal/changes.html",
        {
            "form": form,
            "events": rows,
            "next_before": rows[-1].pk if has_more else None,
            "query": query.urlencode(),
            "paged": bool(before),
        },
    )
