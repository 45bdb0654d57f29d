"""Helpers shared by the benchmark modules: the environment of a benchmark server, and the one gunicorn launcher
(tests/support/launcher.py, shared with the tests and the load runs)."""

from __future__ import annotations

import os
from pathlib import Path

from config.settings.keygen import generate_signing_key
from tests.support.launcher import ROOT, free_port, start_gunicorn, stop

__all__ = ["ROOT", "free_port", "server_env", "start_gunicorn", "stop"]

BENCH_ENCRYPTION_KEY = "VO0qBKA0JDIwHSKSfNv9HnhF9feTmxShYqsvfn1nggs="  # throw-away, benchmark data only


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
        JWT_SIGNING_KEYS=generate_signing_key(var_dir / "jwt-signing-key.pem"),
        FILES_LINK_SIGNING_KEYS="bench-link-key-" + "x" * 40,
        DEBUG="false",
        EMAIL_URL="dummymail://",
        LOG_LEVEL="WARNING",
        GUNICORN_ACCESSLOG="",
    )
    env.update(overrides)
    return env
