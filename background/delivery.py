"""Delivery of outbox messages by the worker: claim one try, run the kind's sender, record the outcome.

Invariant: a row is in `sending` only while one worker owns one try of it, and every transition out of
`sending` names the try (`attempts`) it ends, so a worker whose lease ran out can no longer overwrite the
result of the worker that took over. Nothing holds a database lock while the sender talks to the outside.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from background import counters
from background.models import OutboxMessage
from background.outbox import Cancel, PermanentFailure, Sender, publish, sender_for
from core.logging import redact

logger = logging.getLogger(__name__)
Status = OutboxMessage.Status


def deliver(message_id: int) -> str:
    """One try of one message; returns what happened (sent, retry, failed, cancelled, skipped)."""
    message = OutboxMessage.objects.filter(pk=message_id).first()
    if message is None:
        return "skipped"
    sender = sender_for(message.kind)
    if sender is None:
        logger.error("no sender for outbox kind %r (message %s)", message.kind, message.pk)
        return "skipped"
    if not _claim(message, sender):
        return "skipped"  # sent already, not due yet, or another worker holds it
    try:
        sender.send(message)
    except Cancel as exc:
        return _finish(message, sender, Status.CANCELLED, error=str(exc))
    except PermanentFailure as exc:
        return _finish(message, sender, Status.FAILED, error=_describe(exc))
    except Exception as exc:  # any failure of the outside service is retried
        return _fail(message, sender, exc)
    return _finish(message, sender, Status.SENT)


def _claim(message: OutboxMessage, sender: Sender) -> bool:
    now = timezone.now()
    claimable = Q(status=Status.PENDING, next_attempt_at__lte=now) | Q(status=Status.SENDING, lease_until__lt=now)
    lease_until = now + timedelta(seconds=sender.policy.lease)
    # enqueued_at cleared: should this worker die, the relay republishes the row once its lease is over.
    claimed = OutboxMessage.objects.filter(claimable, pk=message.pk, attempts=message.attempts).update(
        status=Status.SENDING, attempts=message.attempts + 1, lease_until=lease_until, enqueued_at=None
    )
    if claimed:
        message.status, message.attempts, message.lease_until = Status.SENDING, message.attempts + 1, lease_until
    return bool(claimed)


def _fail(message: OutboxMessage, sender: Sender, exc: Exception) -> str:
    age = (timezone.now() - message.created_at).total_seconds()
    if age >= sender.policy.give_up_after:
        return _finish(message, sender, Status.FAILED, error=_describe(exc))
    delay = sender.policy.delay(message.attempts)
    return _finish(message, sender, Status.PENDING, error=_describe(exc), retry_in=delay)


def _finish(
    message: OutboxMessage, sender: Sender, status: str, *, error: str = "", retry_in: float | None = None
) -> str:
    now = timezone.now()
    fields: dict = {"status": status, "lease_until": None, "last_error": error[:500]}
    if status == Status.SENT:
        fields["sent_at"] = now
    if retry_in is not None:
        fields.update(next_attempt_at=now + timedelta(seconds=retry_in), enqueued_at=None)
    # Fenced by the try number: if this try outlived its lease and another worker took over, keep its result.
    owned = OutboxMessage.objects.filter(pk=message.pk, status=Status.SENDING, attempts=message.attempts)
    if not owned.update(**fields):
        logger.warning("outbox message %s: try %s ended after its lease; result dropped", message.pk, message.attempts)
        return "skipped"
    for name, value in fields.items():
        setattr(message, name, value)
    outcome = _log_outcome(message, status, retry_in)
    if sender.on_result is not None:
        sender.on_result(message)
    return outcome


def _log_outcome(message: OutboxMessage, status: str, retry_in: float | None) -> str:
    task = f"outbox.{message.kind}"
    context = {"outbox_id": message.pk, "kind": message.kind, "attempt": message.attempts}
    if status == Status.SENT:
        counters.count_outcome(task, counters.SUCCESS)
        logger.info("outbox message sent", extra=context)
        return "sent"
    if status == Status.PENDING:
        counters.count_outcome(task, counters.RETRY)
        logger.warning("outbox message failed, retry in %.0f s: %s", retry_in, message.last_error, extra=context)
        return "retry"
    if status == Status.FAILED:
        counters.count_outcome(task, counters.FAILURE)
        logger.error("outbox message failed for good: %s", message.last_error, extra=context)
        return "failed"
    logger.info("outbox message cancelled: %s", message.last_error, extra=context)
    return "cancelled"


def _describe(exc: Exception) -> str:
    return redact(f"{type(exc).__name__}: {exc}")


def relay_due(limit: int = 500) -> int:
    """Publish the messages the broker does not hold: due retries, tries whose worker died (lease over)
    and messages whose publication failed or sat in the broker too long. Run by the scheduler."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.OUTBOX_REPUBLISH_AFTER)
    due = (
        OutboxMessage.objects.filter(
            Q(status=Status.PENDING, next_attempt_at__lte=now) | Q(status=Status.SENDING, lease_until__lt=now)
        )
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=stale))
        .order_by("next_attempt_at")
        .values_list("pk", "kind")[:limit]
    )
    rows = list(due)
    OutboxMessage.objects.filter(pk__in=[pk for pk, _ in rows]).update(enqueued_at=now)
    for pk, kind in rows:
        publish(pk, kind)
    return len(rows)


def prune_delivered() -> int:
    """Delete sent and cancelled messages older than OUTBOX_RETENTION seconds (failed ones stay for the admin)."""
    cutoff = timezone.now() - timedelta(seconds=settings.OUTBOX_RETENTION)
    deleted, _ = OutboxMessage.objects.filter(
        status__in=[Status.SENT, Status.CANCELLED], created_at__lt=cutoff
    ).delete()
    return deleted
