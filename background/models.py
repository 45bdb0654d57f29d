"""The transactional outbox and the shared state of the worker and the scheduler (read by /metrics)."""

from __future__ import annotations

from django.db import models


class OutboxMessage(models.Model):
    """One piece of outside work (an e-mail, a webhook), written in the transaction of the change it reports.

    State machine (each step is a conditional UPDATE, so two workers never both own a row):
    pending -> sending (claimed for one try, `lease_until` bounds it) -> sent | pending (retry later) | failed.
    A `sending` row whose lease has run out belongs to a worker that died mid-try; it is tried again.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        SENDING = "sending"
        SENT = "sent"
        FAILED = "failed"
        CANCELLED = "cancelled"

    kind = models.CharField(max_length=64, db_index=True)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    lease_until = models.DateTimeField(null=True, blank=True)
    # When the message was last handed to the broker: the relay republishes only rows that sat there too long.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    request_id = models.CharField(max_length=128, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"


class TaskCounter(models.Model):
    """How often a task ended in each outcome (success, failure, retry), across every worker process."""

    task = models.CharField(max_length=100)
    outcome = models.CharField(max_length=16)
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task", "outcome"], name="task_counter_unique")]

    def __str__(self) -> str:
        return f"{self.task} {self.outcome}: {self.count}"


class JobRun(models.Model):
    """The last run of each periodic job, whichever process ran it (scheduler-triggered or by hand)."""

    name = models.CharField(max_length=100, unique=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return self.name


class SchedulerLease(models.Model):
    """The one scheduler allowed to fire periodic jobs: whoever holds an unexpired lease (renewed each tick)."""

    name = models.CharField(max_length=32, unique=True)
    holder = models.CharField(max_length=200, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name}: {self.holder}"
