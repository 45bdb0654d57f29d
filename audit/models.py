"""The tamper-evident trail: events chained by SHA-256, a chain head to serialize sealing, checkpoints of prunes.

An event is inserted by `audit.services.record` inside the caller's transaction (so it commits or rolls back
with the change) and sealed right after that commit by `audit.services.events_seal`: under the chain-head
lock it gets the next `seq` (gap-free: only committed events are sealed), `prev_hash` and `hash`. Sealing
after the commit keeps the chain-head lock out of the callers' transactions, so it can never deadlock with
their row locks. Events are removed only by `audit.services.events_prune`. Through the ORM an existing event
or checkpoint can be neither saved nor deleted; on PostgreSQL a trigger (migration 0002) refuses UPDATE and
DELETE in SQL, except the one-time seal of an unsealed event and the prune.
"""

from __future__ import annotations

from django.db import models

from audit.errors import AuditImmutableError


class ActorType(models.TextChoices):
    USER = "user", "User"
    API_KEY = "api_key", "API key"
    SYSTEM = "system", "System"
    ANONYMOUS = "anonymous", "Anonymous"


class ImmutableQuerySet(models.QuerySet):
    """Bulk update/delete would bypass the chain: refused (pruning has its own SQL path)."""

    def update(self, **kwargs):
        raise AuditImmutableError(f"{self.model.__name__} rows cannot be updated")

    def delete(self):
        raise AuditImmutableError(f"{self.model.__name__} rows cannot be deleted")

    update.queryset_only = True  # type: ignore[attr-defined]
    delete.queryset_only = True  # type: ignore[attr-defined]


class ImmutableModel(models.Model):
    objects = ImmutableQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AuditImmutableError(f"{type(self).__name__} #{self.pk} is immutable")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditImmutableError(f"{type(self).__name__} #{self.pk} cannot be deleted")


class AuditEvent(ImmutableModel):
    """One entry of the trail. `hash` = SHA-256 of the canonical serialization (audit.chain) incl. prev_hash."""

    id = models.BigAutoField(primary_key=True)
    seq = models.BigIntegerField(null=True, blank=True, unique=True, help_text="Position in the chain (sealed).")
    timestamp = models.DateTimeField()
    actor = models.CharField(max_length=64, blank=True, default="")
    actor_type = models.CharField(max_length=16, choices=ActorType.choices)
    action = models.CharField(max_length=100)
    target_type = models.CharField(max_length=100, blank=True, default="")
    target_id = models.CharField(max_length=100, blank=True, default="")
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True, default="")
    request_id = models.CharField(max_length=128, blank=True, default="")
    changes = models.JSONField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64, null=True, blank=True)
    hash = models.CharField(max_length=64, null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            # Each filter of the API is paired with id so "newest first" pages stay an index range scan.
            models.Index(fields=["actor", "id"], name="audit_event_actor_idx"),
            models.Index(fields=["action", "id"], name="audit_event_action_idx"),
            models.Index(fields=["target_type", "target_id", "id"], name="audit_event_target_idx"),
            models.Index(fields=["request_id"], name="audit_event_request_idx"),
            models.Index(fields=["timestamp"], name="audit_event_timestamp_idx"),
        ]
        constraints = [
            # A second event claiming the same predecessor would be a fork.
            models.UniqueConstraint(fields=["prev_hash"], name="audit_event_no_fork"),
        ]

    def __str__(self) -> str:
        return f"{self.action} #{self.pk}"


class AuditChainHead(models.Model):
    """The single row locked (SELECT ... FOR UPDATE) by every seal: the last sealed event's seq and hash."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, blank=True, default="")

    def __str__(self) -> str:
        return f"chain head at seq {self.last_seq}"


class AuditCheckpoint(ImmutableModel):
    """Left by a prune: the chain continues after `last_seq` from `last_hash`."""

    created_at = models.DateTimeField()
    before = models.DateTimeField()
    last_seq = models.BigIntegerField()
    last_hash = models.CharField(max_length=64)
    pruned_count = models.BigIntegerField()

    class Meta:
        ordering = ["-last_seq"]

    def __str__(self) -> str:
        return f"checkpoint after seq {self.last_seq}"
