import re
import urllib.request

import pytest

from tests.support.servers import gunicorn_server


@pytest.mark.django_db(transaction=True)
def test_metrics__two_gunicorn_workers__count_requests_of_both():
    with gunicorn_server(workers=2) as base_url:
        for _ in range(40):
            urllib.request.urlopen(f"{base_url}/health", timeout=5).read()
        body = urllib.request.urlopen(f"{base_url}/metrics", timeout=5).read().decode()
    match = re.search(r'http_requests_total\{method="GET",route="/health",status="200"\} (\d+)', body)
    assert match, body[:2000]
    # 40 of ours plus the start-up probes; a single worker's registry would see only part of them.
    assert float(match.group(1)) >= 40
