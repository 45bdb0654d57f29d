"""Readiness checks: read-only probes of each dependency, each timed, all bounded by one deadline."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

DEADLINE_SECONDS = 2.0
FAILED = "unavailable (the detail is in the server log)"

logger = logging.getLogger(__name__)

_migrations_ok = False  # once every migration is applied it stays so for this process


def check_database() -> None:
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        connection.close()


def check_migrations() -> None:
    global _migrations_ok
    if _migrations_ok:
        return
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    finally:
        connection.close()
    if plan:
        raise RuntimeError(f"{len(plan)} unapplied migration(s)")
    _migrations_ok = True


def check_cache() -> None:
    # A read of a key that never exists: no test row is written. django-redis could hide an outage
    # behind IGNORE_EXCEPTIONS, so its client is pinged directly.
    client = getattr(cache, "client", None)
    if client is not None and hasattr(client, "get_client"):
        client.get_client(write=False).ping()
    else:
        cache.get("health:probe")


def check_storage() -> None:
    bucket = getattr(default_storage, "bucket", None)
    if bucket is not None:  # S3-compatible storage
        bucket.meta.client.head_bucket(Bucket=bucket.name)
        return
    # File storage creates its directories on the first save, so a fresh install has none yet: the
    # nearest existing ancestor must be a directory it may write to.
    location = Path(default_storage.location)
    existing = next(path for path in (location, *location.parents) if path.exists())
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise RuntimeError(f"storage directory not writable ({existing} is the nearest existing path)")


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "migrations": check_migrations,
    "cache": check_cache,
    "storage": check_storage,
}


def _timed(check: Callable[[], None], result: dict[str, Any]) -> None:
    started = time.perf_counter()
    try:
        check()
    except Exception as exc:  # any failure of a dependency is a failed check, named in the report
        # The exception text can name hosts, users and paths: it goes to the log, not to the caller.
        result.update(status="fail", error=FAILED, detail=f"{type(exc).__name__}: {str(exc)[:200]}")
    else:
        result.update(status="ok")
    result["latency_ms"] = round((time.perf_counter() - started) * 1000, 2)


def run_checks(checks: dict[str, Callable[[], None]] | None = None) -> dict[str, dict[str, Any]]:
    """Run every check in its own thread; one that has not answered by the deadline fails as a timeout."""
    checks = checks or CHECKS
    results: dict[str, dict[str, Any]] = {name: {} for name in checks}
    threads = {
        name: threading.Thread(target=_timed, args=(check, results[name]), daemon=True, name=f"ready-{name}")
        for name, check in checks.items()
    }
    deadline = time.monotonic() + DEADLINE_SECONDS
    for thread in threads.values():
        thread.start()
    for name, thread in threads.items():
        thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            results[name] = {"status": "fail", "error": f"timed out after {DEADLINE_SECONDS}s"}
        elif "detail" in results[name]:
            logger.warning("readiness check %s failed: %s", name, results[name].pop("detail"))
    return results
