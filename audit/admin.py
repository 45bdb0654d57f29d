"""Read-only admin of the trail; the audited admin of the models without a service (users, roles)."""

from __future__ import annotations

from auditlog.models import LogEntry
from django.contrib import admin
from django.db import transaction

from audit.models import AuditCheckpoint, AuditEvent
from audit.registry import m2m_diff, m2m_snapshot, model_diff
from audit.services import record_model_change
from core.admin import ReadOnlyAdmin

# auditlog's own table stays empty (model changes go to AuditEvent): don't show it as a second, empty trail.
if admin.site.is_registered(LogEntry):
    admin.site.unregister(LogEntry)


class AuditedModelAdmin(admin.ModelAdmin):
    """Records the admin's own edits of a model that has no service (audit.registry.TRACKED): the field diff
    of a save, the additions and removals of its many-to-many fields, and each deletion."""

    def save_model(self, request, obj, form, change) -> None:
        old = type(obj)._base_manager.filter(pk=obj.pk).first() if change else None
        super().save_model(request, obj, form, change)
        diff = model_diff(old, obj)
        if diff or not change:
            record_model_change("updated" if change else "created", obj, diff, request=request)

    def save_related(self, request, form, formsets, change) -> None:
        before = m2m_snapshot(form.instance) if change else {}
        super().save_related(request, form, formsets, change)
        diff = m2m_diff(before, m2m_snapshot(form.instance))
        if diff:
            record_model_change("updated", form.instance, diff, request=request)

    def delete_model(self, request, obj) -> None:
        with transaction.atomic():
            record_model_change("deleted", obj, model_diff(obj, None), request=request)
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        with transaction.atomic():
            for obj in queryset:
                record_model_change("deleted", obj, model_diff(obj, None), request=request)
            super().delete_queryset(request, queryset)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("id", "seq", "timestamp", "action", "actor_type", "actor", "target_type", "target_id", "ip")
    list_filter = ("actor_type", "action", "target_type", "timestamp")
    search_fields = ("=actor", "action", "=target_id", "=request_id")
    show_full_result_count = False  # COUNT(*) over millions of rows on every page is what makes admins slow


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(ReadOnlyAdmin):
    list_display = ("last_seq", "before", "pruned_count", "created_at")
