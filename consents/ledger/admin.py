"""Admin of the ledger: daily reconciliations and brands' chain heads (read-only: only the sealer writes)."""
from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from consents.models import ChainHead, DailyReconciliation, HistoryLink, SealState


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(DailyReconciliation)
class DailyReconciliationAdmin(_ReadOnly):
    list_display = ("report_date", "brand", "status", "movements", "agreed_at", "built_at")
    list_filter = ("status", "report_date", ("agreed_at", admin.EmptyFieldListFilter))
    search_fields = ("brand__name", "=brand__brand_code", "=file_hash")
    raw_id_fields = ("brand",)


@admin.register(ChainHead)
class ChainHeadAdmin(_ReadOnly):
    list_display = ("brand", "seq", "hash", "updated_at")
    search_fields = ("brand__name", "=brand__brand_code")
    raw_id_fields = ("brand",)


@admin.register(HistoryLink)
class HistoryLinkAdmin(_ReadOnly):
    list_display = ("brand", "seq", "event", "hash", "sealed_at")
    search_fields = ("=brand__brand_code", "=event__transaction_id", "=hash")
    raw_id_fields = ("brand", "event")
    show_full_result_count = False  # millions of rows: no COUNT(*) on every page


@admin.register(SealState)
class SealStateAdmin(_ReadOnly):
    list_display = ("sealed_through_id", "updated_at")
