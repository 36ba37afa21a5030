"""Operators work complaints here: queue filters, search, assignment, status and notes.

Edits go through citizens.complaints.complaint_update, so each change leaves a ComplaintEvent naming
the operator; the citizen's report and the consent snapshot are read-only.
"""
from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from consents.admin import RecipientSearchMixin

from ..models import Complaint, ComplaintEvent, ComplaintStatus
from .services import complaint_update

__all__ = ["ComplaintAdmin", "ComplaintEventAdmin", "ComplaintEventInline"]


class ComplaintEventInline(admin.TabularInline):
    model = ComplaintEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "action", "from_status", "to_status", "actor_label", "detail")
    readonly_fields = fields
    ordering = ("id",)

    def has_add_permission(self, request: HttpRequest, obj: Complaint | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Complaint | None = None) -> bool:
        return False


class RegisteredSenderFilter(admin.SimpleListFilter):
    """Unregistered senders (spam from nobody in the registry) are a queue of their own for operators."""

    title = _("gönderen")
    parameter_name = "gonderen"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("kayitli", _("kayıtlı marka")), ("kayitsiz", _("kayıtlı olmayan gönderici"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Complaint]) -> QuerySet[Complaint]:
        if self.value() == "kayitli":
            return queryset.filter(brand__isnull=False)
        if self.value() == "kayitsiz":
            return queryset.filter(brand__isnull=True)
        return queryset


@admin.register(Complaint)
class ComplaintAdmin(RecipientSearchMixin, admin.ModelAdmin):
    list_display = (
        "id", "created_at", "sender", "channel", "recipient", "received_at", "snapshot_status", "snapshot_allowed",
        "status", "assigned_to",
    )
    list_display_links = ("id", "created_at")
    list_filter = (
        "status", RegisteredSenderFilter, "snapshot_allowed", "snapshot_status", "channel",
        ("assigned_to", admin.RelatedOnlyFieldListFilter), "created_at",
    )
    search_fields = (
        "=id", "recipient", "brand__name", "=brand__brand_code", "brand__provider__name", "sender_text", "message_text",
    )
    list_select_related = ("brand", "assigned_to")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    list_per_page = 50
    inlines = [ComplaintEventInline]
    actions = ["take_for_review", "mark_resolved", "mark_rejected"]
    fieldsets = (
        (_("İş akışı"), {"fields": ("status", "assigned_to", "operator_notes")}),
        (_("Vatandaşın bildirimi"), {
            "fields": (
                "citizen", "recipient", "brand", "sender_text", "channel", "received_at", "message_text", "created_at",
            ),
        }),
        (_("İleti anındaki izin kaydı"), {
            "fields": (
                "snapshot_status", "snapshot_allowed", "snapshot_recipient_type", "snapshot_source",
                "snapshot_consent_date", "snapshot_event_link",
            ),
        }),
    )
    readonly_fields = (
        "citizen", "recipient", "brand", "sender_text", "channel", "received_at", "message_text", "created_at",
        "snapshot_status", "snapshot_allowed", "snapshot_recipient_type", "snapshot_source",
        "snapshot_consent_date", "snapshot_event_link",
    )
    raw_id_fields = ("assigned_to",)

    @admin.display(description=_("gönderen"), ordering="brand__name")
    def sender(self, obj: Complaint) -> str:
        if obj.brand_id is not None:
            return str(obj.brand)
        return format_html("{} <em>({})</em>", obj.sender_text, _("kayıtlı değil"))

    @admin.display(description=_("o anda geçerli geçmiş kaydı"))
    def snapshot_event_link(self, obj: Complaint) -> str:
        if obj.snapshot_event_id is None:
            return _("Kayıt yok")
        url = reverse("admin:consents_consentevent_change", args=[obj.snapshot_event_id])
        return format_html('<a href="{}">#{}</a>', url, obj.snapshot_event_id)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # citizens file complaints; operators work them

    def has_delete_permission(self, request: HttpRequest, obj: Complaint | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Complaint, form, change: bool) -> None:  # type: ignore[no-untyped-def]
        data = form.cleaned_data
        saved = complaint_update(
            complaint_id=obj.pk,
            operator=request.user,
            status=data.get("status"),
            assigned_to=data.get("assigned_to"),
            operator_notes=data.get("operator_notes", ""),
        )
        obj.updated_at = saved.updated_at

    def _set_status(self, request: HttpRequest, queryset: QuerySet[Complaint], status: str, *, assign: bool) -> None:
        ids = list(queryset.values_list("pk", flat=True)[:500])
        for complaint_id in ids:
            kwargs = {"assigned_to": request.user} if assign else {}
            complaint_update(complaint_id=complaint_id, operator=request.user, status=status, **kwargs)
        self.message_user(
            request,
            ngettext("%(n)d şikâyet güncellendi.", "%(n)d şikâyet güncellendi.", len(ids)) % {"n": len(ids)},
            messages.SUCCESS,
        )

    @admin.action(description=_("Bana ata ve incelemeye al"))
    def take_for_review(self, request: HttpRequest, queryset: QuerySet[Complaint]) -> None:
        self._set_status(request, queryset, ComplaintStatus.IN_REVIEW, assign=True)

    @admin.action(description=_("Sonuçlandı olarak işaretle"))
    def mark_resolved(self, request: HttpRequest, queryset: QuerySet[Complaint]) -> None:
        self._set_status(request, queryset, ComplaintStatus.RESOLVED, assign=False)

    @admin.action(description=_("Reddedildi olarak işaretle"))
    def mark_rejected(self, request: HttpRequest, queryset: QuerySet[Complaint]) -> None:
        self._set_status(request, queryset, ComplaintStatus.REJECTED, assign=False)


@admin.register(ComplaintEvent)
class ComplaintEventAdmin(admin.ModelAdmin):
    """The complaint workflow's audit trail across all complaints (read-only)."""

    list_display = ("created_at", "complaint", "action", "from_status", "to_status", "actor_label")
    list_filter = ("action", "to_status")
    list_select_related = ("complaint",)
    search_fields = ("=complaint__id", "actor_label")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
