"""`make run` with nothing configured: web, worker and scheduler start; the worker, not web, sends the mail."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests

from tests.background.support import wait_for
from tests.support.servers import ROOT, free_port

pytestmark = pytest.mark.slow


def _output(log) -> str:
    return Path(log.name).read_text(errors="replace")


def test_make_run__embedded_mode__three_processes_and_the_mail_comes_from_the_worker(tmp_path):
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "COV_", "DJANGO_"))
        and key not in ("DATABASE_URL", "REDIS_URL", "EMAIL_URL", "SECRET_KEY", "CONFIG_ENCRYPTION_KEYS", "TESTING")
    }
    env.update(
        VAR_DIR=str(tmp_path / "var"),
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "prometheus"),
        PORT=str(port),
        WEB_CONCURRENCY="1",
        WORKER_CONCURRENCY="1",
    )
    with tempfile.NamedTemporaryFile(prefix="make-run-", suffix=".log") as log:
        process = subprocess.Popen(
            # -o: the shared .venv is installed already; make run's own pip step is not what is tested here
            ["make", "--no-print-directory", "-o", ".venv/.runtime", "run"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: Ctrl-C is a SIGINT to the whole group
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_for(lambda: _health(base_url), 180, "make run to serve /health", step=1)
            wait_for(lambda: "holding the lease" in _output(log), 180, "the scheduler to start")
            response = requests.post(
                f"{base_url}/api/v1/auth/register/",
                json={"email": "run@example.com", "password": "a-long-enough-passphrase-7"},
                timeout=30,
            )
            assert response.status_code == 201, response.text
            wait_for(lambda: "To: run@example.com" in _output(log), 120, "the console mail")
        finally:
            os.killpg(process.pid, signal.SIGINT)
            started = time.monotonic()
            process.wait(timeout=60)
            stopped_in = time.monotonic() - started
        text = _output(log)

    mail_lines = [line for line in text.splitlines() if "To: run@example.com" in line or "verify-email?token=" in line]
    assert mail_lines
    assert all(re.match(r"^\S+ worker\.1\s+\|", line) for line in mail_lines), mail_lines
    for name in ("web.1", "worker.1", "scheduler.1"):
        assert f"{name} started" in text
        assert f"{name} stopped" in text
    assert stopped_in < 30


def _health(base_url: str) -> bool:
    try:
        return requests.get(f"{base_url}/health", timeout=2).status_code == 200
    except requests.RequestException:
        return False
