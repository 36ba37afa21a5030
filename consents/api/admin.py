"""Admin of the integration API: API users, tokens (hashes only), batches, push registrations, deliveries."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from consents.admin import ReadOnlyAdminMixin
from consents.models import (
    ApiBatchItem,
    ApiBatchRequest,
    ApiIdempotencyRecord,
    ApiToken,
    ApiUser,
    IntegratorAlert,
    PushDelivery,
    PushRegistration,
)

from . import health
from .users import api_user_deactivate


class _ReadOnly:
    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class HealthFilter(admin.SimpleListFilter):
    """The last health check's verdict (beat task consents.api.check_integrator_health)."""

    title = _("son 24 saat başarı oranı")
    parameter_name = "health"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("failing", _("%70'in altında")), ("ok", _("%70 ve üstü")), ("quiet", _("İYS eşiğinden az istek"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        judged = queryset.filter(health_requests__gte=health.min_requests()).alias(
            failures10=F("health_failures") * 10, requests3=F("health_requests") * 3
        )
        if self.value() == "failing":  # failures / requests > 30 %
            return judged.filter(failures10__gt=F("requests3"))
        if self.value() == "ok":
            return judged.filter(failures10__lte=F("requests3"))
        if self.value() == "quiet":
            return queryset.filter(health_requests__lt=health.min_requests())
        return queryset


@admin.register(ApiUser)
class ApiUserAdmin(admin.ModelAdmin):
    list_display = (
        "username",
        "kind",
        "provider",
        "retailer",
        "intermediary",
        "is_active",
        "success_rate_24h",
        "last_login_at",
        "created_at",
    )
    list_filter = ("kind", "is_active", HealthFilter)
    search_fields = ("username", "label", "provider__name", "=provider__iys_code", "intermediary__name")
    raw_id_fields = ("provider", "retailer", "intermediary", "created_by")
    # The allow-list is the provider owner's (portal page), whose change also refreshes cached tokens.
    readonly_fields = (
        "password", "created_at", "last_login_at", "created_by", "allowed_networks",
        "health_requests", "health_failures", "health_checked_at",
    )

    @admin.display(description=_("24 saat başarı"), ordering="health_failures")
    def success_rate_24h(self, obj: ApiUser) -> str:
        if obj.success_rate is None:
            return "—"
        return f"%{100 * obj.success_rate:.1f} ({obj.health_requests})"
    actions = ["deactivate"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Passwords are set through the portal page or `manage.py create_api_user` (hashed there).
        return False

    @admin.action(description=_("Seçili API kullanıcılarını kapat ve jetonlarını iptal et"))
    def deactivate(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = sum(api_user_deactivate(api_user=u, by=request.user) for u in queryset)
        self.message_user(request, _("%(n)d API kullanıcısı kapatıldı.") % {"n": count}, messages.SUCCESS)


@admin.register(IntegratorAlert)
class IntegratorAlertAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ("api_user", "opened_at", "requests", "failures", "notified_at", "resolved_at")
    list_filter = (("resolved_at", admin.EmptyFieldListFilter),)
    search_fields = ("api_user__username", "api_user__provider__name")
    raw_id_fields = ("api_user",)


@admin.register(ApiToken)
class ApiTokenAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ("api_user", "kind", "created_at", "expires_at", "revoked_at", "client_address")
    list_filter = ("kind",)
    search_fields = ("api_user__username", "=token_hash")
    raw_id_fields = ("api_user",)


class ApiBatchItemInline(admin.TabularInline):
    model = ApiBatchItem
    extra = 0
    can_delete = False
    fields = ("index", "status", "transaction_id", "error_code", "error_message", "payload")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(ApiBatchRequest)
class ApiBatchRequestAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = (
        "request_id",
        "version",
        "brand",
        "api_user",
        "item_count",
        "state",
        "created_at",
        "finished_at",
    )
    list_filter = ("state", "version")
    search_fields = ("=request_id", "api_user__username", "=brand__brand_code")
    raw_id_fields = ("brand", "api_user")
    inlines = [ApiBatchItemInline]


@admin.register(PushRegistration)
class PushRegistrationAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ("brand", "channel", "url", "username", "state", "created_at", "state_changed_at")
    list_filter = ("state", "channel")
    search_fields = ("url", "=brand__brand_code")
    # The password is a credential of the provider's server: never shown.
    exclude = ("password",)


@admin.register(PushDelivery)
class PushDeliveryAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = (
        "registration",
        "event_id",
        "state",
        "attempts",
        "last_status_code",
        "last_error",
        "created_at",
        "delivered_at",
    )
    list_filter = ("state",)
    raw_id_fields = ("registration", "event")


@admin.register(ApiBatchItem)
class ApiBatchItemAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("batch", "index", "status", "error_code", "transaction_id", "creation_date")
    list_filter = ("status", "error_code")
    search_fields = ("=batch__id", "=sub_request_id", "=transaction_id")
    list_select_related = ("batch",)
    raw_id_fields = ("batch",)


@admin.register(ApiIdempotencyRecord)
class ApiIdempotencyRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("key", "brand", "transaction_id", "creation_date", "created_at")
    search_fields = ("=key", "=transaction_id")
    list_select_related = ("brand",)
    raw_id_fields = ("brand",)
