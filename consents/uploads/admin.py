"""Admin of bulk uploads: who uploaded what, its counts, the file and its report; refusals and shards read-only."""
from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from consents.admin import ReadOnlyAdminMixin
from consents.models import Upload, UploadRefusal, UploadShard


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin):
    list_display = (
        "id", "created_at", "provider", "brand", "uploaded_by", "original_name", "dry_run", "state",
        "rows_processed", "inserted", "updated", "unchanged", "refused",
    )
    list_filter = ("state", "dry_run", "created_at")
    search_fields = ("original_name", "provider__name", "brand__name", "uploaded_by__username")
    list_select_related = ("provider", "brand", "uploaded_by")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Upload._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # uploads start in the portal, where the rules and the task run

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(UploadRefusal)
class UploadRefusalAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("upload", "line", "field", "value", "code")
    list_filter = ("code",)
    search_fields = ("=upload__id", "value")
    list_select_related = ("upload",)
    raw_id_fields = ("upload",)


@admin.register(UploadShard)
class UploadShardAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Per-connection progress of an upload: where a resumed run starts again."""

    list_display = ("upload", "shard", "resume_line", "rows_processed", "inserted", "updated", "unchanged", "refused")
    search_fields = ("=upload__id",)
    list_select_related = ("upload",)
    raw_id_fields = ("upload",)
