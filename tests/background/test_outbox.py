"""The transactional outbox: enqueue in the caller's transaction, one try at a time, retries, give-up."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone

from background.delivery import deliver, prune_delivered, relay_due
from background.models import OutboxMessage, TaskCounter
from background.outbox import Cancel, PermanentFailure, enqueue, requeue
from core.request_context import reset_request_id, set_request_id

pytestmark = pytest.mark.django_db


def _counts() -> dict[tuple[str, str], int]:
    return {(row.task, row.outcome): row.count for row in TaskCounter.objects.all()}


def test_enqueue__committed__delivered_after_commit_once(scripted, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        message = enqueue("test", {"n": 1})
        assert scripted.sent == []  # nothing before the commit

    message.refresh_from_db()
    assert len(callbacks) == 1
    assert scripted.sent == [message.pk]
    assert (message.status, message.attempts) == ("sent", 1)
    assert message.sent_at is not None
    assert scripted.results == [(message.pk, "sent")]
    assert _counts() == {("outbox.test", "success"): 1}


def test_enqueue__transaction_rolled_back__no_row_and_nothing_sent(scripted, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        enqueue("test", {"n": 1})
        raise RuntimeError("the caller's change failed")

    assert callbacks == []
    assert not OutboxMessage.objects.exists()
    assert scripted.sent == []


def test_enqueue__unknown_kind__refused():
    with pytest.raises(ValueError, match="no outbox sender"):
        enqueue("no-such-kind", {})


def test_enqueue__inside_a_request__keeps_its_request_id(scripted):
    token = set_request_id("req-abc.1")
    try:
        message = enqueue("test", {})
    finally:
        reset_request_id(token)

    assert message.request_id == "req-abc.1"


def test_deliver__sender_fails__pending_again_first_retry_within_30_s(scripted):
    scripted.failures.append(OSError("connection refused"))
    message = enqueue("test", {})

    assert deliver(message.pk) == "retry"

    message.refresh_from_db()
    assert (message.status, message.attempts) == ("pending", 1)
    assert message.last_error == "OSError: connection refused"
    assert timezone.now() < message.next_attempt_at <= timezone.now() + timedelta(seconds=30)
    assert message.enqueued_at is None  # for the relay
    assert _counts() == {("outbox.test", "retry"): 1}


def test_deliver__not_due_yet__skipped(scripted):
    message = enqueue("test", {})
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now() + timedelta(minutes=1))

    assert deliver(message.pk) == "skipped"
    assert scripted.sent == []


def test_deliver__already_sent__never_sent_twice(scripted):
    message = enqueue("test", {})

    assert deliver(message.pk) == "sent"
    assert deliver(message.pk) == "skipped"
    assert scripted.sent == [message.pk]


def test_deliver__failing_past_the_deadline__failed_for_good(scripted):
    scripted.failures.append(TimeoutError("timed out"))
    message = enqueue("test", {})
    OutboxMessage.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(seconds=3601))

    assert deliver(message.pk) == "failed"

    message.refresh_from_db()
    assert message.status == "failed"
    assert _counts() == {("outbox.test", "failure"): 1}
    assert scripted.results == [(message.pk, "failed")]


def test_deliver__permanent_failure__failed_at_once(scripted):
    scripted.failures.append(PermanentFailure("address refused"))
    message = enqueue("test", {})

    assert deliver(message.pk) == "failed"
    assert OutboxMessage.objects.get(pk=message.pk).status == "failed"


def test_deliver__sender_cancels__cancelled_not_retried(scripted):
    scripted.failures.append(Cancel("the user is gone"))
    message = enqueue("test", {})

    assert deliver(message.pk) == "cancelled"
    message.refresh_from_db()
    assert (message.status, message.last_error) == ("cancelled", "the user is gone")


def test_deliver__held_by_a_live_worker__skipped(scripted):
    message = enqueue("test", {})
    OutboxMessage.objects.filter(pk=message.pk).update(
        status="sending", attempts=1, lease_until=timezone.now() + timedelta(seconds=30)
    )

    assert deliver(message.pk) == "skipped"
    assert scripted.sent == []


def test_deliver__worker_died_mid_try__lease_over__tried_again(scripted):
    message = enqueue("test", {})
    OutboxMessage.objects.filter(pk=message.pk).update(
        status="sending", attempts=1, lease_until=timezone.now() - timedelta(seconds=1)
    )

    assert deliver(message.pk) == "sent"
    assert OutboxMessage.objects.get(pk=message.pk).attempts == 2


def test_deliver__try_outlived_its_lease_and_was_taken_over__its_result_is_dropped(scripted):
    message = enqueue("test", {})

    def taken_over(outbox_message) -> None:
        # Meanwhile another worker took the message over (its try is number 2) and sent it.
        OutboxMessage.objects.filter(pk=outbox_message.pk).update(status="sent", attempts=2)

    scripted.during_send = taken_over
    scripted.failures.append(OSError("late failure"))

    assert deliver(message.pk) == "skipped"

    assert OutboxMessage.objects.get(pk=message.pk).status == "sent"


def test_deliver__missing_row_or_unknown_kind__skipped(scripted):
    message = OutboxMessage.objects.create(kind="gone-kind", payload={}, next_attempt_at=timezone.now())

    assert deliver(10**9) == "skipped"
    assert deliver(message.pk) == "skipped"


def test_relay__due_retry_and_dead_worker__published_again(scripted):
    now = timezone.now()
    due = enqueue("test", {})
    dead = enqueue("test", {})
    waiting = enqueue("test", {})
    OutboxMessage.objects.filter(pk=due.pk).update(enqueued_at=None)
    OutboxMessage.objects.filter(pk=dead.pk).update(
        status="sending", attempts=1, lease_until=now - timedelta(seconds=1), enqueued_at=None
    )
    OutboxMessage.objects.filter(pk=waiting.pk).update(enqueued_at=None, next_attempt_at=now + timedelta(minutes=5))

    assert relay_due() == 2

    assert sorted(scripted.sent) == sorted([due.pk, dead.pk])


def test_relay__published_recently__left_to_the_broker(scripted):
    enqueue("test", {})

    assert relay_due() == 0
    assert scripted.sent == []


def test_publish__broker_down__request_unaffected_and_left_for_the_relay(scripted, django_capture_on_commit_callbacks):
    down = mock.patch("background.tasks.deliver_message.apply_async", side_effect=ConnectionError("broker down"))
    with down, django_capture_on_commit_callbacks(execute=True):
        message = enqueue("test", {})

    message.refresh_from_db()
    assert message.status == "pending"
    assert message.enqueued_at is None
    assert relay_due() == 1
    assert scripted.sent == [message.pk]


def test_requeue__failed_message__sent_again(scripted, django_capture_on_commit_callbacks):
    message = enqueue("test", {})
    OutboxMessage.objects.filter(pk=message.pk).update(status="failed", attempts=9)

    with django_capture_on_commit_callbacks(execute=True):
        assert requeue(message.pk) is True

    assert scripted.sent == [message.pk]
    assert requeue(10**9) is False


def test_prune__old_sent_removed__failed_and_recent_kept(scripted, settings):
    settings.OUTBOX_RETENTION = 60
    old = timezone.now() - timedelta(seconds=120)
    old_sent = enqueue("test", {})
    old_failed = enqueue("test", {})
    recent_sent = enqueue("test", {})
    OutboxMessage.objects.filter(pk=old_sent.pk).update(status="sent", created_at=old)
    OutboxMessage.objects.filter(pk=old_failed.pk).update(status="failed", created_at=old)
    OutboxMessage.objects.filter(pk=recent_sent.pk).update(status="sent")

    assert prune_delivered() == 1
    assert set(OutboxMessage.objects.values_list("pk", flat=True)) == {old_failed.pk, recent_sent.pk}
