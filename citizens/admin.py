"""Admin for the citizens app. Complaint admin lives in citizens/complaints/admin.py (imported by CitizensConfig.ready)."""
from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import (
    AddressClaimEvent,
    Citizen,
    CitizenAddress,
    DevMessage,
    OneTimeCode,
    RejectionOverrideNotice,
)


class CitizenAddressInline(admin.TabularInline):
    model = CitizenAddress
    extra = 0
    fields = ("value", "kind", "verified_at", "released_at", "created_at")
    readonly_fields = fields
    can_delete = False
    show_change_link = True


@admin.register(Citizen)
class CitizenAdmin(admin.ModelAdmin):
    list_display = ("id", "created_at", "last_login_at", "is_active")
    list_filter = ("is_active",)
    search_fields = ("=id", "addresses__value")
    readonly_fields = ("created_at", "last_login_at")
    inlines = [CitizenAddressInline]
    date_hierarchy = "created_at"

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        queryset, _dup = super().get_search_results(request, queryset, search_term)
        return queryset.distinct(), False


@admin.register(CitizenAddress)
class CitizenAddressAdmin(admin.ModelAdmin):
    list_display = ("value", "kind", "citizen", "verified_at", "released_at")
    list_filter = ("kind", ("released_at", admin.EmptyFieldListFilter))
    search_fields = ("value", "=citizen__id")
    list_select_related = ("citizen",)
    raw_id_fields = ("citizen",)
    # Claims change hands only through codes (services), so the admin shows them read-only.
    readonly_fields = ("citizen", "value", "kind", "created_at", "verified_at", "released_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(AddressClaimEvent)
class AddressClaimEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "value", "action", "citizen", "other_citizen", "reason", "client_ip")
    list_filter = ("action", "kind", "reason")
    search_fields = ("value", "=citizen__id")
    list_select_related = ("citizen", "other_citizen")
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(OneTimeCode)
class OneTimeCodeAdmin(admin.ModelAdmin):
    # The code itself is never stored, so there is nothing secret to hide here beyond the hash.
    list_display = ("created_at", "purpose", "address", "expires_at", "attempts", "used_at", "client_ip")
    list_filter = ("purpose",)
    search_fields = ("address", "client_ip")
    exclude = ("code_hash",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(DevMessage)
class DevMessageAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "to", "subject")
    list_filter = ("kind",)
    search_fields = ("to",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(RejectionOverrideNotice)
class RejectionOverrideNoticeAdmin(admin.ModelAdmin):
    """What citizens were told about ONAY recorded over their rejection (read-only: the task writes it)."""

    list_display = ("id", "created_at", "address", "state", "attempts", "sent_at", "event")
    list_filter = ("state",)
    search_fields = ("address", "=event__id")
    raw_id_fields = ("event",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: RejectionOverrideNotice | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: RejectionOverrideNotice | None = None) -> bool:
        return False
