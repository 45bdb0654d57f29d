"""Helpers shared by the benchmark modules: a free loopback port and the environment of a benchmark server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

BENCH_ENCRYPTION_KEY = "VO0qBKA0JDIwHSKSfNv9HnhF9feTmxShYqsvfn1nggs="  # throw-away, benchmark data only


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(var_dir: Path, **overrides: str) -> dict[str, str]:
    """The caller's environment without its database and cache, with production-like settings for a
    gunicorn under measurement (DEBUG off, quiet logs, no access log); `overrides` win."""
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        VAR_DIR=str(var_dir),
        MEDIA_ROOT=str(var_dir / "media"),
        SECRET_KEY="bench-secret-key-" + "x" * 40,
        CONFIG_ENCRYPTION_KEYS=BENCH_ENCRYPTION_KEY,
        FILES_LINK_SIGNING_KEYS="bench-link-key-" + "x" * 40,
        DEBUG="false",
        EMAIL_URL="dummymail://",
        LOG_LEVEL="WARNING",
        GUNICORN_ACCESSLOG="",
    )
    env.update(overrides)
    return env


ROOT = Path(__file__).resolve().parent.parent


def start_gunicorn(env: dict[str, str], port: int, *args: str, timeout: float = 120) -> subprocess.Popen:
    """Start gunicorn (config/gunicorn.conf.py, `args` appended) on 127.0.0.1:`port`; return once /health
    answers. Its stderr goes to a temporary file, not a pipe: a pipe nobody reads would fill up during a long
    measurement and stall the server."""
    command = [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", *args]
    with tempfile.TemporaryFile() as log:  # the child keeps its own descriptor after we close ours
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):  # nosec B310 - loopback
                    return process
            except OSError:
                time.sleep(0.2)
        stop(process)
        log.seek(0)
        raise RuntimeError(f"gunicorn on port {port} did not start: {log.read().decode(errors='replace')[-2000:]}")


def stop(process: subprocess.Popen, timeout: float = 30) -> None:
    """Terminate a server we started (by its PID), killing it if it does not exit in time."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
