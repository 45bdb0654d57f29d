"""The transactional outbox: callers write a row in their transaction; the worker delivers it after commit.

Public interface (see the README, *Background work*):
- `register_sender(kind, send, policy=..., on_result=...)`, from an app's `tasks.py`;
- `enqueue(kind, payload)` inside the caller's transaction: the row commits or rolls back with it, and is
  handed to the broker only after the commit (a rolled-back transaction sends nothing);
- `requeue(message_id)`: try a delivered, failed or pending message again now (a "redeliver" button).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from background.models import OutboxMessage
from background.policy import RetryPolicy
from core.request_context import current_request_id

logger = logging.getLogger(__name__)


class Cancel(Exception):
    """Raised by a sender when there is nothing to deliver any more (the user is gone): no retry."""


class PermanentFailure(Exception):
    """Raised by a sender when retrying cannot help (a refused address): the message is `failed` at once."""


@dataclass(frozen=True)
class Sender:
    kind: str
    send: Callable[[OutboxMessage], None]
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    on_result: Callable[[OutboxMessage], None] | None = None


_SENDERS: dict[str, Sender] = {}


def register_sender(
    kind: str,
    send: Callable[[OutboxMessage], None],
    *,
    policy: RetryPolicy | None = None,
    on_result: Callable[[OutboxMessage], None] | None = None,
) -> None:
    """Declare how messages of `kind` are delivered. `send(message)` returns on success and raises on
    failure (retried per `policy`; `Cancel` and `PermanentFailure` end it); `on_result(message)` runs in
    the worker after every try, with the row's new status, attempts, last_error and next_attempt_at."""
    _SENDERS[kind] = Sender(kind=kind, send=send, policy=policy or RetryPolicy(), on_result=on_result)


def sender_for(kind: str) -> Sender | None:
    return _SENDERS.get(kind)


def registered_kinds() -> list[str]:
    return sorted(_SENDERS)


def enqueue(kind: str, payload: dict, *, request_id: str | None = None) -> OutboxMessage:
    """Write a message for the worker in the current transaction; it is published after the commit."""
    if kind not in _SENDERS:
        raise ValueError(f"no outbox sender is registered for {kind!r}")
    now = timezone.now()
    message = OutboxMessage.objects.create(
        kind=kind,
        payload=payload,
        next_attempt_at=now,
        enqueued_at=now,
        request_id=request_id or current_request_id() or "",
    )
    transaction.on_commit(lambda: publish(message.pk, kind))
    return message


def requeue(message_id: int) -> bool:
    """Make a message due now (not while a worker holds it); False when it does not exist or is being sent."""
    now = timezone.now()
    rows = OutboxMessage.objects.filter(pk=message_id).exclude(status=OutboxMessage.Status.SENDING)
    kind = rows.values_list("kind", flat=True).first()
    updated = rows.update(status=OutboxMessage.Status.PENDING, next_attempt_at=now, enqueued_at=now, last_error="")
    if updated and kind:
        transaction.on_commit(lambda: publish(message_id, kind))
    return bool(updated)


def publish(message_id: int, kind: str) -> None:
    """Hand a message to the broker. Never raises: if the broker is down the relay publishes it later."""
    from background.tasks import deliver_message  # the task module imports this one

    sender = _SENDERS.get(kind)
    lease = sender.policy.lease if sender else RetryPolicy().lease
    try:
        # The hard time limit ends a try before its lease runs out, so no second worker ever overlaps it.
        deliver_message.apply_async(args=[message_id], time_limit=max(lease - 5, 1), retry=False)
    except Exception:  # the broker is unreachable: the request must not fail for that
        logger.warning("outbox message %s not handed to the broker; the relay will retry", message_id, exc_info=True)
        OutboxMessage.objects.filter(pk=message_id).update(enqueued_at=None)
