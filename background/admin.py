from django.contrib import admin, messages

from background.models import JobRun, OutboxMessage, SchedulerLease, TaskCounter
from background.outbox import requeue


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "status", "attempts", "next_attempt_at", "created_at", "sent_at", "last_error")
    list_filter = ("status", "kind")
    search_fields = ("request_id",)
    readonly_fields = [field.name for field in OutboxMessage._meta.fields]
    actions = ["retry_now"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Try the selected messages again now")
    def retry_now(self, request, queryset) -> None:
        done = sum(requeue(message.pk) for message in queryset)
        self.message_user(request, f"{done} message(s) queued again.", messages.SUCCESS)


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = ("name", "last_started_at", "last_success_at", "last_failure_at", "last_error")
    readonly_fields = ("name", "last_started_at", "last_success_at", "last_failure_at", "last_error")


admin.site.register(TaskCounter)
admin.site.register(SchedulerLease)
