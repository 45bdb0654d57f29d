"""/metrics under real gunicorn: one scrape counts the requests of every worker, dead ones included."""
import os
import re
import signal
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings

from tests.support.servers import gunicorn_server

HEALTH_OK = re.compile(r'http_requests_total\{method="GET",route="/health",status="200"\} (\d+)')


def _health_count(base_url: str) -> int:
    body = urllib.request.urlopen(f"{base_url}/metrics", timeout=5).read().decode()
    match = HEALTH_OK.search(body)
    assert match, body[:2000]
    return int(float(match.group(1)))


def _hit(base_url: str, times: int) -> None:
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: urllib.request.urlopen(f"{base_url}/health", timeout=5).read(), range(times)))


def _worker_pids(multiproc_dir: Path) -> set[int]:
    return {int(path.stem.rsplit("_", 1)[1]) for path in multiproc_dir.glob("counter_*.db")}


@pytest.mark.django_db(transaction=True)
def test_metrics__two_gunicorn_workers__one_scrape_counts_every_request_even_of_a_killed_worker():
    with gunicorn_server(workers=2) as base_url:
        multiproc_dir = Path(settings.MEDIA_ROOT).parent / f"prometheus-{base_url.rsplit(':', 1)[1]}"
        before = _health_count(base_url)  # start-up probes that waited in the backlog are counted too
        _hit(base_url, 60)

        # Exactly our 60 more, whichever worker answers the scrape.
        assert _health_count(base_url) == before + 60
        pids = _worker_pids(multiproc_dir)
        assert len(pids) == 2, f"expected both workers to have served: {pids}"

        os.kill(min(pids), signal.SIGKILL)  # gunicorn replaces it; its samples must stay counted
        deadline = time.monotonic() + 15
        while len(_worker_pids(multiproc_dir) - {min(pids)}) < 2 and time.monotonic() < deadline:
            _hit(base_url, 8)
        assert _health_count(base_url) >= before + 68
        assert len(_worker_pids(multiproc_dir) - pids) >= 1
