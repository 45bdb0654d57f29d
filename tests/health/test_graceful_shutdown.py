"""A graceful stop (SIGTERM to gunicorn) fails /ready at once and keeps serving while traffic drains."""

import json
import signal
import time
import urllib.error
import urllib.request

import pytest

from tests.support.servers import gunicorn_server


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.django_db(transaction=True)
def test_graceful_shutdown__sigterm__ready_fails_while_draining_then_exits():
    with gunicorn_server(workers=2, GUNICORN_DRAIN_SECONDS="3") as base_url:
        assert _get(f"{base_url}/ready")[0] == 200
        stopped_at = time.monotonic()
        base_url.process.send_signal(signal.SIGTERM)
        time.sleep(0.3)  # the master forwards SIGTERM to its workers

        for _ in range(4):  # whichever worker answers
            status, body = _get(f"{base_url}/ready")
            assert status == 503, body
            assert body["checks"]["shutdown"] == {"status": "fail", "error": "graceful shutdown in progress"}
            assert _get(f"{base_url}/health") == (200, {"status": "ok"})

        assert base_url.process.wait(timeout=15) == 0
        assert 2.5 < time.monotonic() - stopped_at < 12
