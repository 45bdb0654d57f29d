"""The background part of /metrics, read from the database: the worker and the scheduler are other
processes (often other hosts) than the web process that serves the scrape."""

from __future__ import annotations

import logging

from django.db import DatabaseError
from django.db.models import Count
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from background.jobs import registered_jobs
from background.models import JobRun, OutboxMessage, TaskCounter
from background.outbox import registered_kinds

logger = logging.getLogger(__name__)
Status = OutboxMessage.Status


class BackgroundCollector:
    def collect(self):
        try:
            families = _families()
        except DatabaseError:  # /metrics must answer during a database outage
            logger.warning("background metrics unavailable", exc_info=True)
            families = []
        up = GaugeMetricFamily("background_metrics_up", "1 when the background metrics could be read.")
        up.add_metric([], 1 if families else 0)
        return [*families, up]


def _families() -> list:
    backlog = GaugeMetricFamily(
        "outbox_backlog", "Outbox messages not delivered yet, by kind and status.", labels=["kind", "status"]
    )
    failed = GaugeMetricFamily("outbox_failed", "Outbox messages that failed for good, by kind.", labels=["kind"])
    counts = {kind: {Status.PENDING: 0, Status.SENDING: 0, Status.FAILED: 0} for kind in registered_kinds()}
    rows = (
        OutboxMessage.objects.filter(status__in=[Status.PENDING, Status.SENDING, Status.FAILED])
        .values_list("kind", "status")
        .annotate(n=Count("id"))
    )
    for kind, status, n in rows:
        counts.setdefault(kind, {Status.PENDING: 0, Status.SENDING: 0, Status.FAILED: 0})[status] = n
    for kind, by_status in sorted(counts.items()):
        backlog.add_metric([kind, Status.PENDING], by_status[Status.PENDING])
        backlog.add_metric([kind, Status.SENDING], by_status[Status.SENDING])
        failed.add_metric([kind], by_status[Status.FAILED])

    tasks = CounterMetricFamily(
        "background_tasks", "Background task outcomes (success, failure, retry).", labels=["task", "outcome"]
    )
    for task, outcome, count in TaskCounter.objects.order_by("task", "outcome").values_list("task", "outcome", "count"):
        tasks.add_metric([task, outcome], count)

    last_success = GaugeMetricFamily(
        "periodic_job_last_success_timestamp_seconds",
        "Unix time of each periodic job's last success (0: never).",
        labels=["job"],
    )
    runs = dict(JobRun.objects.values_list("name", "last_success_at"))
    for name in sorted(set(registered_jobs()) | set(runs)):
        when = runs.get(name)
        last_success.add_metric([name], when.timestamp() if when else 0)
    return [backlog, failed, tasks, last_success]


def background_exposition() -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(BackgroundCollector())
    return generate_latest(registry)
