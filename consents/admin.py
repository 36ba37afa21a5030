"""Admin of the registry core: consents with their read-only history, late rejections, retailer access.

Capability packages (api, uploads, review) register their own pages; ConsentsConfig.ready() imports them.
"""
from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from providers.models import Channel

from .models import (
    CampaignCheck,
    Consent,
    ConsentCount,
    ConsentEvent,
    LateRejection,
    MovementCount,
    RecipientType,
    RetailerAccess,
    Status,
    TaskOutbox,
)
from .recipients import try_normalize


class ReadOnlyAdminMixin:
    """History is append-only and consents change only through services (which write history)."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class RecipientSearchMixin:
    """Search by recipient in any input shape: '0532 123 45 67' finds '+905321234567'."""

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        normalised = try_normalize(search_term)
        if normalised:
            return queryset.filter(recipient=normalised), False
        return super().get_search_results(request, queryset, search_term)


class ConsentEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ConsentEvent
    fk_name = "consent"
    extra = 0
    ordering = ("-id",)
    fields = (
        "created_at", "action", "previous_status", "status", "source", "consent_date",
        "actor_kind", "actor_label", "via", "late_report", "transaction_id",
    )
    readonly_fields = fields
    can_delete = False
    show_change_link = True


class ReviewStateFilter(admin.SimpleListFilter):
    title = _("inceleme durumu")
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("pending", _("vatandaş incelemesinde")), ("finalized", _("kesinleşmiş beyan")), ("none", _("beyan değil"))]

    def queryset(self, request, queryset):
        if self.value() == "pending":
            return queryset.filter(review_until__isnull=False, finalized_at__isnull=True, status="ONAY")
        if self.value() == "finalized":
            return queryset.filter(finalized_at__isnull=False)
        if self.value() == "none":
            return queryset.filter(review_until__isnull=True)
        return queryset


@admin.register(Consent)
class ConsentAdmin(RecipientSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "recipient", "channel", "recipient_type", "status", "source", "consent_date", "brand", "retailer",
        "review_until", "finalized_at",
    )
    list_filter = ("status", "channel", "recipient_type", "source", ReviewStateFilter, "declaration_period")
    search_fields = ("recipient", "brand__name", "=brand__brand_code", "=transaction_id")
    list_select_related = ("brand", "retailer")
    show_full_result_count = False  # COUNT(*) over millions of rows on every page is not worth it
    inlines = [ConsentEventInline]
    raw_id_fields = ("brand", "retailer", "declaration_period")


@admin.register(ConsentEvent)
class ConsentEventAdmin(RecipientSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "created_at", "recipient", "channel", "action", "previous_status", "status", "source", "brand",
        "actor_kind", "actor", "via", "late_report",
    )
    list_filter = ("action", "status", "actor_kind", "via", "late_report", "overrides_citizen_rejection", "channel")
    search_fields = ("recipient", "=transaction_id", "actor_label", "=brand__brand_code")
    list_select_related = ("brand",)
    show_full_result_count = False
    raw_id_fields = ("consent", "brand", "retailer", "actor_user")

    @admin.display(description=_("İşlemi yapan"), ordering="actor_label")
    def actor(self, event: ConsentEvent) -> str:
        return event.actor_text


@admin.register(LateRejection)
class LateRejectionAdmin(ConsentEventAdmin):
    list_display = ("created_at", "consent_date", "recipient", "channel", "brand", "source", "actor", "via")
    list_filter = ("channel", "via")


@admin.register(RetailerAccess)
class RetailerAccessAdmin(admin.ModelAdmin):
    list_display = ("consent", "retailer", "granted_at")
    search_fields = ("consent__recipient", "=retailer__code", "retailer__name")
    raw_id_fields = ("consent", "retailer")
    list_select_related = ("consent", "retailer")


@admin.register(CampaignCheck)
class CampaignCheckAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who pre-checked which list (the list is kept only while the job runs, the result until it expires)."""

    list_display = ("started_at", "provider", "brand", "channel", "recipient_type", "state", "rows", "allowed",
                    "refused", "user", "finished_at", "result_deleted_at")
    list_filter = ("state", "channel", "recipient_type")
    search_fields = ("provider__name", "=brand__brand_code", "file_name")
    raw_id_fields = ("provider", "brand", "user")


def _label(choices: type, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


@admin.register(ConsentCount)
class ConsentCountAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The dashboard's running totals (consents.counts): kept by the write paths, never edited here."""

    list_display = ("brand", "channel_label", "recipient_type_label", "status_label", "review_period", "slot", "n")
    list_select_related = ("brand",)
    search_fields = ("=brand__brand_code", "brand__name")

    @admin.display(description=_("kanal"))
    def channel_label(self, obj: ConsentCount) -> str:
        return _label(Channel, obj.channel)

    @admin.display(description=_("alıcı tipi"))
    def recipient_type_label(self, obj: ConsentCount) -> str:
        return _label(RecipientType, obj.recipient_type)

    @admin.display(description=_("durum"))
    def status_label(self, obj: ConsentCount) -> str:
        return _label(Status, obj.status)


@admin.register(MovementCount)
class MovementCountAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Movements per day for the dashboard's chart (consents.counts): kept by the write paths."""

    list_display = ("brand", "day", "status_label", "by_citizen", "slot", "n")
    list_select_related = ("brand",)
    search_fields = ("=brand__brand_code", "brand__name")
    date_hierarchy = "day"

    @admin.display(description=_("durum"))
    def status_label(self, obj: MovementCount) -> str:
        return _label(Status, obj.status)


@admin.register(TaskOutbox)
class TaskOutboxAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Tasks committed but not yet handed to the broker (consents.outbox): a growing list means Redis is down."""

    list_display = ("task", "args", "created_at", "attempts", "last_error")
    list_filter = ("task",)
    date_hierarchy = "created_at"
