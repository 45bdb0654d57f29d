"""/metrics: outbox backlog by kind, task outcomes and each periodic job's last success, from the database."""

from __future__ import annotations

import re
from unittest import mock

import pytest
from django.db import DatabaseError

from background import jobs
from background.models import JobRun, OutboxMessage
from background.outbox import enqueue

pytestmark = pytest.mark.django_db


def _metrics(client) -> str:
    response = client.get("/metrics")
    assert response.status_code == 200
    return response.content.decode()


def test_metrics__backlog_outcomes_and_job_success__exposed(client, scripted):
    enqueue("test", {})
    enqueue("test", {})
    failed = enqueue("test", {})
    OutboxMessage.objects.filter(pk=failed.pk).update(status="failed")
    scripted.failures.append(OSError("down"))
    jobs.run_job("flushexpiredsessions")
    success = JobRun.objects.get(name="flushexpiredsessions").last_success_at

    from background.delivery import deliver

    deliver(OutboxMessage.objects.filter(status="pending").first().pk)
    text = _metrics(client)

    assert 'outbox_backlog{kind="test",status="pending"} 2.0' in text
    assert 'outbox_backlog{kind="email",status="pending"} 0.0' in text
    assert 'outbox_failed{kind="test"} 1.0' in text
    assert 'background_tasks_total{outcome="retry",task="outbox.test"} 1.0' in text
    assert 'background_tasks_total{outcome="success",task="job.flushexpiredsessions"} 1.0' in text
    value = re.search(r'periodic_job_last_success_timestamp_seconds\{job="flushexpiredsessions"\} (\S+)', text)
    assert value and float(value.group(1)) == pytest.approx(success.timestamp())
    assert 'periodic_job_last_success_timestamp_seconds{job="files_cleanup"} 0.0' in text
    assert "background_metrics_up 1.0" in text


def test_metrics__database_down__still_answers_and_says_so(client):
    with mock.patch("background.metrics._families", side_effect=DatabaseError("down")):
        text = _metrics(client)

    assert "background_metrics_up 0.0" in text
    assert "outbox_backlog" not in text
