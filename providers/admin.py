from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.utils.text import capfirst
from import_export import fields, resources
from import_export.admin import ImportExportModelAdmin
from import_export.forms import SelectableFieldsExportForm
from import_export.widgets import ForeignKeyWidget

from config.hygiene import RefusesControlCharacters
from consents.spreadsheets import neutralise_cell

from .models import (
    Brand,
    Intermediary,
    IntermediaryAuthorization,
    Membership,
    Provider,
    ProviderAuditEvent,
    Retailer,
    RetailerLinkInvitation,
)


class NeutralisedExportResource(resources.ModelResource):
    """Exports (CSV, XLSX, ...) whose text cells cannot run as spreadsheet formulas.

    import-export's own IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT only drops a leading ``=`` (``+``/``-``/``@``
    still run, and the value changes silently); every export of the product uses the same leading-quote rule.
    """

    def export_field(self, field: fields.Field, instance: Any, **kwargs: Any) -> Any:
        return neutralise_cell(super().export_field(field, instance, **kwargs))


class LabelledExportForm(RefusesControlCharacters, SelectableFieldsExportForm):
    """The export page's column checkboxes by the fields' translated names, not "Iys Code" (their Python name
    title-cased in English); the exported file keeps the field names as column headers, which imports read."""

    def _get_field_label(self, resource: type[resources.ModelResource], field_name: str) -> str:
        try:
            return str(capfirst(resource._meta.model._meta.get_field(field_name).verbose_name))
        except FieldDoesNotExist:
            return super()._get_field_label(resource, field_name)


class LabelledImportExportAdmin(ImportExportModelAdmin):
    export_form_class = LabelledExportForm


class ProviderResource(NeutralisedExportResource):
    class Meta:
        model = Provider
        import_id_fields = ("iys_code",)
        fields = ("iys_code", "name", "tax_number", "tier", "tier_pinned", "is_active")


class BrandResource(NeutralisedExportResource):
    provider = fields.Field(
        column_name="provider_iys_code", attribute="provider", widget=ForeignKeyWidget(Provider, "iys_code")
    )

    class Meta:
        model = Brand
        import_id_fields = ("brand_code",)
        fields = ("brand_code", "name", "provider", "is_master", "is_active")


class RetailerResource(NeutralisedExportResource):
    brand = fields.Field(column_name="brand_code", attribute="brand", widget=ForeignKeyWidget(Brand, "brand_code"))

    class Meta:
        model = Retailer
        import_id_fields = ("code",)
        fields = ("code", "name", "kind", "brand", "tax_number", "city", "town", "mobile")


class BrandInline(admin.TabularInline):
    model = Brand
    extra = 0
    fields = ("brand_code", "name", "is_master", "is_active")
    show_change_link = True


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Provider)
class ProviderAdmin(LabelledImportExportAdmin):
    resource_classes = [ProviderResource]
    list_display = ("name", "iys_code", "tier", "tier_pinned", "approved_address_count", "tier_counted_at", "is_active")
    list_filter = ("tier", "tier_pinned", "is_active")
    search_fields = ("name", "iys_code", "tax_number")
    readonly_fields = ("approved_address_count", "tier_counted_at", "created_at")
    inlines = [BrandInline, MembershipInline]


@admin.register(Brand)
class BrandAdmin(LabelledImportExportAdmin):
    resource_classes = [BrandResource]
    list_display = ("name", "brand_code", "provider", "is_master", "is_active")
    list_filter = ("is_master", "is_active")
    search_fields = ("name", "brand_code", "provider__name", "provider__iys_code")
    list_select_related = ("provider",)
    autocomplete_fields = ("provider",)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "provider", "role", "created_at")
    list_filter = ("role",)
    search_fields = ("user__username", "user__email", "provider__name", "provider__iys_code")
    list_select_related = ("user", "provider")
    autocomplete_fields = ("user", "provider")


@admin.register(Retailer)
class RetailerAdmin(LabelledImportExportAdmin):
    resource_classes = [RetailerResource]
    list_display = ("name", "code", "kind", "brand", "city", "linked_provider")
    list_filter = ("kind",)
    search_fields = ("name", "code", "tax_number", "brand__name", "brand__brand_code")
    list_select_related = ("brand", "linked_provider")
    autocomplete_fields = ("brand", "linked_provider")


@admin.register(RetailerLinkInvitation)
class RetailerLinkInvitationAdmin(admin.ModelAdmin):
    """Read-only: invitations are answered by the invited provider in its portal, and the audit rows say who."""

    list_display = ("retailer", "provider", "state", "created_at", "requested_by", "decided_at", "decided_by")
    list_filter = ("state",)
    search_fields = ("retailer__name", "retailer__code", "provider__name", "provider__iys_code")
    list_select_related = ("retailer", "provider", "requested_by", "decided_by")

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class IntermediaryAuthorizationInline(admin.TabularInline):
    model = IntermediaryAuthorization
    extra = 0
    autocomplete_fields = ("brand",)
    readonly_fields = ("granted_at", "granted_by", "revoked_by")


@admin.register(Intermediary)
class IntermediaryAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "code", "tax_number")
    inlines = [IntermediaryAuthorizationInline]


@admin.register(IntermediaryAuthorization)
class IntermediaryAuthorizationAdmin(admin.ModelAdmin):
    list_display = ("intermediary", "brand", "channel", "granted_at", "revoked_at")
    list_filter = ("channel", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("intermediary__name", "intermediary__code", "brand__name", "brand__brand_code")
    list_select_related = ("intermediary", "brand")
    autocomplete_fields = ("intermediary", "brand")


@admin.register(ProviderAuditEvent)
class ProviderAuditEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "provider", "action", "target", "actor_label")
    list_filter = ("action",)
    search_fields = ("provider__name", "target", "actor_label")
    date_hierarchy = "created_at"
    list_select_related = ("provider",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
