"""Prometheus metrics, correct across gunicorn workers.

With PROMETHEUS_MULTIPROC_DIR set (config/gunicorn.conf.py sets it) every worker writes its samples to
files there and a scrape aggregates them all; dead workers' files are cleaned up by the child_exit hook.
"""

from __future__ import annotations

import os

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess

REQUESTS = Counter("http_requests_total", "HTTP requests served.", ["method", "route", "status"])
LATENCY = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


def exposition() -> tuple[bytes, str]:
    from background.metrics import background_exposition  # outbox, tasks and jobs, read from the database

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry) + background_exposition(), CONTENT_TYPE_LATEST
    return generate_latest() + background_exposition(), CONTENT_TYPE_LATEST
