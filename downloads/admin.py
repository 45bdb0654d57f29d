"""Read-mostly admin pages: content changes go through the API (services keep blobs, hashes and audit
consistent), quotas are edited here."""

from django.contrib import admin

from downloads.models import Download, File, StorageQuota


@admin.register(File)
class FileAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "size", "content_type", "created_at", "modified_at", "corrupted_at"]
    list_filter = ["content_type", "corrupted_at"]
    search_fields = ["name", "owner__email", "sha256"]
    readonly_fields = [field.name for field in File._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Download)
class DownloadAdmin(admin.ModelAdmin):
    list_display = ["id", "owner", "file", "status", "bytes_received", "size", "updated_at"]
    list_filter = ["status"]
    readonly_fields = [field.name for field in Download._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(StorageQuota)
class StorageQuotaAdmin(admin.ModelAdmin):
    list_display = ["owner", "max_bytes"]
    search_fields = ["owner__email"]
    raw_id_fields = ["owner"]
