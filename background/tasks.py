"""Celery tasks of the outbox and the scheduler, and the housekeeping schedule (defaults, UTC).

| job | default schedule | what |
|---|---|---|
| outbox_relay | every OUTBOX_RELAY_INTERVAL s (10) | publish due retries and messages of dead workers |
| outbox_prune | 40 * * * * | delete delivered messages older than OUTBOX_RETENTION |
| flushexpiredsessions | 15 * * * * | login sessions past SESSION_RETENTION |
| flushexpiredtokens | 30 3 * * * | simplejwt's expired token lists |
| files_cleanup | 20 * * * * | expired links, stale downloads, orphaned blobs, dead uploads |
| uploads_cleanup | */15 * * * * | expired resumable uploads |
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from background import delivery, jobs
from background.models import OutboxMessage
from core.request_context import reset_request_id, set_request_id


# acks_late: a message taken by a worker that dies before finishing stays in the broker; the row's own
# state (claimed with a lease) is what makes a second delivery of the task harmless.
@shared_task(name="background.deliver", acks_late=True, ignore_result=True)
def deliver_message(message_id: int) -> str:
    request_id = OutboxMessage.objects.filter(pk=message_id).values_list("request_id", flat=True).first()
    token = set_request_id(request_id or None)  # the request that enqueued the work, in every log line
    try:
        return delivery.deliver(message_id)
    finally:
        reset_request_id(token)


@shared_task(name="background.run_job", acks_late=True, ignore_result=True)
def run_job(name: str) -> None:
    jobs.run_job(name)


jobs.periodic_job("outbox_relay", func="background.delivery.relay_due", every=settings.OUTBOX_RELAY_INTERVAL)
jobs.periodic_job("outbox_prune", func="background.delivery.prune_delivered", crontab="40 * * * *")
jobs.periodic_job("flushexpiredsessions", command="flushexpiredsessions", crontab="15 * * * *")
jobs.periodic_job("flushexpiredtokens", command="flushexpiredtokens", crontab="30 3 * * *")
jobs.periodic_job("files_cleanup", command="files_cleanup", crontab="20 * * * *")
jobs.periodic_job("uploads_cleanup", command="uploads_cleanup", crontab="*/15 * * * *")
