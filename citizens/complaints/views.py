"""Citizen pages for complaints: list, new, detail. Every read is scoped to the signed-in citizen."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from consents.models import Consent
from providers.models import Brand

from ..auth import citizen_required
from ..selectors import active_address_values
from .forms import ComplaintForm
from .services import complaint_file, complaints_of_citizen

BRAND_SUGGESTIONS = 200


@citizen_required
def complaint_list(request: HttpRequest) -> HttpResponse:
    complaints = complaints_of_citizen(citizen=request.citizen)  # type: ignore[attr-defined]
    return render(request, "citizens/complaints/list.html", {"complaints": complaints})


@citizen_required
@require_http_methods(["GET", "POST"])
def complaint_new(request: HttpRequest) -> HttpResponse:
    citizen = request.citizen  # type: ignore[attr-defined]
    form = ComplaintForm(request.POST or None, citizen=citizen)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            complaint = complaint_file(
                citizen=citizen,
                address=data["address"],
                brand=data["brand"],
                sender_text=data.get("sender_text", ""),
                channel=data["channel"],
                received_at=data["received_at"],
                message_text=data["message_text"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, _("Şikâyetiniz alındı. Başvuru numaranız: %(id)s") % {"id": complaint.pk})
            return redirect("complaints:detail", complaint_id=complaint.pk)
    # Brands that hold a record for my addresses are the likely senders: offer them first (one query).
    brand_ids = (
        Consent.objects.filter(recipient__in=active_address_values(citizen)).values("brand_id").distinct()
    )
    suggestions = Brand.objects.filter(pk__in=brand_ids, is_active=True).order_by("name")[:BRAND_SUGGESTIONS]
    return render(request, "citizens/complaints/new.html", {"form": form, "suggestions": suggestions})


@citizen_required
def complaint_detail(request: HttpRequest, complaint_id: int) -> HttpResponse:
    # Another citizen's complaint is a 404, never a 403: its existence is not revealed.
    complaint = get_object_or_404(
        complaints_of_citizen(citizen=request.citizen).select_related("snapshot_event"),  # type: ignore[attr-defined]
        pk=complaint_id,
    )
    return render(request, "citizens/complaints/detail.html", {"complaint": complaint})
