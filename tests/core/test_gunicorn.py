"""config/gunicorn.conf.py under a real gunicorn: one JSON log line per request, nothing else per request."""

import json
import urllib.request

import pytest

from tests.support.servers import gunicorn_server


@pytest.mark.django_db(transaction=True)
def test_gunicorn__requests__log_exactly_one_json_line_each():
    with gunicorn_server(workers=1, LOG_LEVEL="INFO") as base_url:
        for request_id in ("one-1", "two-2", "three-3"):
            request = urllib.request.Request(f"{base_url}/health", headers={"X-Request-ID": request_id})
            urllib.request.urlopen(request, timeout=5).read()
        stderr = base_url.output()

    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    ours = [line for line in lines if line.get("request_id") in ("one-1", "two-2", "three-3")]
    assert [line["request_id"] for line in ours] == ["one-1", "two-2", "three-3"], stderr[-3000:]
    assert {line["logger"] for line in ours} == {"app.request"}
    assert all(line["route"] == "/health" and line["status"] == 200 for line in ours)


def test_default_worker_class__gevent__is_a_runtime_requirement():
    """`make run` and the Dockerfile install requirements.txt only: the Procfile's web line must start with it."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    conf = (root / "config" / "gunicorn.conf.py").read_text()
    runtime = (root / "requirements.txt").read_text().splitlines()

    assert '"config.gevent_worker.GeventWorker"' in conf
    assert any(line.startswith("gevent==") for line in runtime)
    assert any(line.startswith("gunicorn[gevent]==") for line in runtime)  # its worker imports `packaging` too
