"""Run the project under real gunicorn against the test database, for tests that need real processes.

Use with `@pytest.mark.django_db(transaction=True)` so the server (another process) sees committed rows.
The server gets the test run's own settings (database, cache, keys, media root), so tokens minted in the
test are valid there, and is stopped by its PID on exit.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

from tests.support.launcher import ROOT, free_port, start_gunicorn, stop

__all__ = ["ROOT", "ServerURL", "database_url", "free_port", "gunicorn_server", "server_env"]


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def server_env(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "COV_CORE_", "DJANGO_SETTINGS_MODULE"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DATABASE_URL=database_url(),
        SECRET_KEY=settings.SECRET_KEY,
        CONFIG_ENCRYPTION_KEYS=",".join(settings.CONFIG_ENCRYPTION_KEYS),
        JWT_SIGNING_KEYS=",".join(settings.JWT_SIGNING_KEYS),
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        DEBUG="false",
        TESTING="true",
        GUNICORN_ACCESSLOG="",
        GUNICORN_DRAIN_SECONDS="0",  # tests stop servers at once unless they test the drain
        LOG_LEVEL="WARNING",
    )
    if settings.REDIS_URL:
        env["REDIS_URL"] = settings.REDIS_URL
    env.update(extra)
    return env


class ServerURL(str):
    """The base URL of a started server (http://127.0.0.1:PORT), with its master `process` for signal tests
    and `output()`, what it has written to stdout and stderr so far."""

    process: subprocess.Popen
    log: tempfile._TemporaryFileWrapper

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")


@contextmanager
def gunicorn_server(
    workers: int = 1, *, startup_timeout: float = 30, port: int | None = None, **extra_env: str
) -> Iterator[ServerURL]:
    """Start gunicorn on a free loopback port (or `port`); yields its base URL (http://127.0.0.1:PORT)."""
    port = port or free_port()
    multiproc_dir = Path(settings.MEDIA_ROOT).parent / f"prometheus-{port}"
    env = server_env(PROMETHEUS_MULTIPROC_DIR=str(multiproc_dir), **extra_env)
    with tempfile.TemporaryFile() as log:
        base_url = ServerURL(f"http://127.0.0.1:{port}")
        base_url.log = log
        base_url.process = start_gunicorn(env, port, "--workers", str(workers), log=log, timeout=startup_timeout)
        try:
            yield base_url
        finally:
            stop(base_url.process, timeout=15)
