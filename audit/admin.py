"""Read-only admin of the trail: browse, filter and search; no add, change or delete for anyone."""

from __future__ import annotations

from auditlog.models import LogEntry
from django.contrib import admin

from audit.models import AuditCheckpoint, AuditEvent

# auditlog's own table stays empty (model changes go to AuditEvent): don't show it as a second, empty trail.
if admin.site.is_registered(LogEntry):
    admin.site.unregister(LogEntry)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("id", "seq", "timestamp", "action", "actor_type", "actor", "target_type", "target_id", "ip")
    list_filter = ("actor_type", "action", "target_type", "timestamp")
    search_fields = ("=actor", "action", "=target_id", "=request_id")
    show_full_result_count = False  # COUNT(*) over millions of rows on every page is what makes admins slow


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(ReadOnlyAdmin):
    list_display = ("last_seq", "before", "pruned_count", "created_at")
