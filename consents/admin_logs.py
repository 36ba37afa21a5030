"""Read-only admin pages for the detail rows of uploads and API batches, for operators tracing a case."""
from __future__ import annotations

from django.contrib import admin

from .admin import ReadOnlyAdminMixin
from .api_models import ApiBatchItem, ApiIdempotencyRecord
from .upload_models import UploadRefusal, UploadShard

__all__ = ["ApiBatchItemAdmin", "ApiIdempotencyRecordAdmin", "UploadRefusalAdmin", "UploadShardAdmin"]


@admin.register(UploadRefusal)
class UploadRefusalAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("upload", "line", "field", "value", "code")
    list_filter = ("code",)
    search_fields = ("=upload__id", "value")
    list_select_related = ("upload",)
    raw_id_fields = ("upload",)


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


@admin.register(UploadShard)
class UploadShardAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Per-connection progress of an upload: where a resumed run starts again."""

    list_display = ("upload", "shard", "resume_line", "rows_processed", "inserted", "updated", "unchanged", "refused")
    search_fields = ("=upload__id",)
    list_select_related = ("upload",)
    raw_id_fields = ("upload",)
