"""/metrics under real gunicorn: one scrape counts the requests of every worker, dead ones included."""

import os
import re
import shutil
import signal
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings
from prometheus_client import CollectorRegistry, multiprocess

from tests.support.servers import gunicorn_server

# Our requests are HEADs, so the server's own start-up probes (GETs, some still in the backlog) don't count.
HEALTH_OK = re.compile(r'http_requests_total\{method="HEAD",route="/health",status="200"\} (\d+)')
HEALTH_LABELS = {"method": "HEAD", "route": "/health", "status": "200"}


def _scraped_health_count(base_url: str) -> int:
    body = urllib.request.urlopen(f"{base_url}/metrics", timeout=5).read().decode()
    match = HEALTH_OK.search(body)
    return int(float(match.group(1))) if match else 0


def _hit(base_url: str, times: int) -> None:
    with ThreadPoolExecutor(8) as pool:
        head = urllib.request.Request(f"{base_url}/health", method="HEAD")
        list(pool.map(lambda _: urllib.request.urlopen(head, timeout=5).read(), range(times)))


def _health_counts_by_worker(multiproc_dir: Path) -> dict[int, int]:
    """Each worker's own /health count, read from its sample file alone."""
    counts = {}
    for path in multiproc_dir.glob("counter_*.db"):
        with tempfile.TemporaryDirectory() as alone:
            shutil.copy(path, alone)
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry, path=alone)
            value = registry.get_sample_value("http_requests_total", HEALTH_LABELS) or 0
        counts[int(path.stem.rsplit("_", 1)[1])] = int(value)
    return counts


@pytest.mark.django_db(transaction=True)
def test_metrics__two_gunicorn_workers__one_scrape_counts_every_request_even_of_a_killed_worker():
    with gunicorn_server(workers=2) as base_url:
        multiproc_dir = Path(settings.MEDIA_ROOT).parent / f"prometheus-{base_url.rsplit(':', 1)[1]}"
        sent = 0
        deadline = time.monotonic() + 30
        # On a busy host one worker may take every request for a while: go on until both have served.
        while sum(1 for count in _health_counts_by_worker(multiproc_dir).values() if count) < 2:
            assert time.monotonic() < deadline, _health_counts_by_worker(multiproc_dir)
            _hit(base_url, 20)
            sent += 20

        # Each worker saw only part of the requests, yet one scrape, whichever worker answers, has them all.
        assert _scraped_health_count(base_url) == sent == sum(_health_counts_by_worker(multiproc_dir).values())

        victim = max(_health_counts_by_worker(multiproc_dir), key=_health_counts_by_worker(multiproc_dir).get)
        os.kill(victim, signal.SIGKILL)  # gunicorn replaces it; its samples must stay counted
        time.sleep(1)
        _hit(base_url, 8)
        assert _scraped_health_count(base_url) == sent + 8
