"""Helpers shared by the benchmark modules: a free loopback port and the environment of a benchmark server."""
from __future__ import annotations

import os
import socket
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
        DEBUG="false",
        LOG_LEVEL="WARNING",
        GUNICORN_ACCESSLOG="",
    )
    env.update(overrides)
    return env
