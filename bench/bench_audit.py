"""Audit trail on PostgreSQL: the cost of recording one event, and audit_verify over 1,000,000 events.

Runs in a throw-away database (`bench_audit_<pid>`, created and dropped here) on the server of
BENCH_DATABASE_URL, else DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres. A worker process
(`python -m bench.bench_audit --worker`, so Django's settings point at that database) measures:
1. `audit.services.record()` per event, each in its own transaction: the insert, the commit, then the seal
   (chain-head lock, hash computed by the server, head update, commit), against a plain INSERT of the same
   row into a copy of the table (same columns and indexes, no trigger) in its own transaction;
2. 1,000,000 chained events generated in Python (real hashes) and loaded with COPY, then the
   `audit_verify` command timed over all of them (target < 60 s);
3. the first page of the events API's query (newest first, 51 rows) at that size, unfiltered and filtered.
Bounded: each phase has a timeout; BENCH_AUDIT_EVENTS changes the million.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from bench import Result
from bench.support import server_env

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 900  # seconds for the whole worker
RECORD_SAMPLES = 2000
EVENTS = int(os.environ.get("BENCH_AUDIT_EVENTS", "1000000"))
DEFAULT_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def _admin_url() -> str:
    for name in ("BENCH_DATABASE_URL", "DATABASE_URL"):
        url = os.environ.get(name, "")
        if url.startswith(("postgres://", "postgresql://")):
            return url
    return DEFAULT_ADMIN_URL


def _with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


def _admin(url: str, statement: str) -> None:
    import psycopg

    # The maintenance database always exists; the one DATABASE_URL names may not (yet).
    with psycopg.connect(_with_database(url, "postgres"), autocommit=True, connect_timeout=5) as conn:
        conn.execute(statement)


def run() -> list[Result]:
    admin_url, name = _admin_url(), f"bench_audit_{os.getpid()}"
    try:
        _admin(admin_url, f'CREATE DATABASE "{name}"')
    except Exception as exc:  # no PostgreSQL here: say so instead of failing the whole bench run
        return [Result("audit: PostgreSQL unavailable", 0, "-", note=f"skipped: {type(exc).__name__}")]
    try:
        env = server_env(ROOT / "var" / "bench-audit", DATABASE_URL=_with_database(admin_url, name))
        completed = subprocess.run(
            [sys.executable, "-m", "bench.bench_audit", "--worker"],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=TIMEOUT,
            capture_output=True,
            text=True,
        )
        figures = json.loads(completed.stdout.strip().splitlines()[-1])
    finally:
        _admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return _results(figures)


def _results(f: dict) -> list[Result]:
    millions = f["events"] / 1e6
    return [
        Result(
            "audit: record() + seal, one event (own transaction)",
            f["record_us"],
            "µs",
            f["plain_us"],
            "cost",
            "reference: plain INSERT of the same row, same indexes",
        ),
        Result(
            f"audit: audit_verify over {f['events']:,} events",
            f["verify_s"],
            "s",
            None,
            "< 60 s",
            f"{f['events'] / f['verify_s']:,.0f} events/s; {millions:.1f} M generated+COPY in {f['load_s']:.0f} s",
        ),
        Result("audit: events API first page, unfiltered", f["page_ms"], "ms", None, "< 50 ms"),
        Result("audit: first page, filter action (rare)", f["page_action_ms"], "ms", None, "< 50 ms"),
        Result("audit: first page, filter actor", f["page_actor_ms"], "ms", None, "< 50 ms"),
        Result("audit: first page, filter since (last hour)", f["page_since_ms"], "ms", None, "< 50 ms"),
    ]


# --- the worker (runs with Django configured for the throw-away database) -------------------------------

_ACTIONS = [
    "auth.login.succeeded",
    "auth.login.failed",
    "auth.logout",
    "auth.token.refreshed",
    "config.entry.updated",
    "config.entry.created",
    "config.resolved.read",
    "file.uploaded",
    "file.deleted",
    "download.completed",
    "model.accounts.user.updated",
    "model.configurations.entry.updated",
    "model.downloads.file.created",
]


def _time_per_call(function, samples: int) -> float:
    started = time.perf_counter()
    for _ in range(samples):
        function()
    return (time.perf_counter() - started) / samples


def _measure_record() -> tuple[float, float]:
    from django.db import connection, transaction

    from audit.services import record

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_plain (LIKE audit_auditevent INCLUDING ALL)")
    metadata = {"scope": "all", "sessions": 3}
    row = [
        "2026-01-01T00:00:00Z",
        "8d3c7a0e-1f7e-4b7e-9a51-4f0e1c2b3a4d",
        "user",
        "auth.logout",
        "accounts.user",
        "8d3c7a0e-1f7e-4b7e-9a51-4f0e1c2b3a4d",
        "203.0.113.9",
        "bench/1",
        "req-1",
        json.dumps(metadata),
    ]
    sql = (
        "INSERT INTO bench_plain (id, seq, timestamp, actor, actor_type, action, target_type, target_id, ip, "
        "user_agent, request_id, metadata, prev_hash, hash) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
        "%s, %s, %s)"
    )
    counter = iter(range(1, 10**9))

    def plain() -> None:
        n = next(counter)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [n, n, *row, f"{n - 1:064x}", f"{n:064x}"])

    def audited() -> None:
        with transaction.atomic():
            record("auth.logout", metadata=metadata)

    plain_s, record_s = [], []
    for _ in range(2):  # interleaved rounds; the first warms caches and plans
        plain_s.append(_time_per_call(plain, RECORD_SAMPLES // 2))
        record_s.append(_time_per_call(audited, RECORD_SAMPLES // 2))
    return min(record_s) * 1e6, min(plain_s) * 1e6


def _generate(count: int) -> float:
    """`count` chained events with real hashes, COPYed into the (emptied) trail; returns the seconds taken."""
    from django.db import connection

    from audit.chain import HASHED_FIELDS, compute_hash
    from audit.models import AuditChainHead

    columns = (*HASHED_FIELDS, "hash")
    started = time.perf_counter()
    users = [str(uuid.uuid4()) for _ in range(1000)]
    moment = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=count)
    prev = ""
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE audit_auditevent, audit_auditchainhead")
        with cursor.cursor.copy(f"COPY audit_auditevent ({', '.join(columns)}) FROM STDIN") as copy:
            for n in range(1, count + 1):
                user = users[n % len(users)]
                fields = {
                    "id": n,
                    "seq": n,
                    "timestamp": moment + dt.timedelta(seconds=n),
                    "actor": user,
                    "actor_type": "user",
                    "action": _ACTIONS[n % len(_ACTIONS)],
                    "target_type": "accounts.user",
                    "target_id": user,
                    "ip": f"10.{n % 256}.{n // 256 % 256}.7",
                    "user_agent": "Mozilla/5.0 (bench)",
                    "request_id": f"req-{n}",
                    "changes": {"display_name": ["old", f"new {n}"]} if n % 3 else None,
                    "metadata": {"n": n, "scope": "bench"},
                    "prev_hash": prev,
                }
                fields["hash"] = prev = compute_hash(fields)
                copy.write_row(
                    [
                        json.dumps(fields[c]) if c in ("changes", "metadata") and fields[c] is not None else fields[c]
                        for c in columns
                    ]
                )
        cursor.execute("ANALYZE audit_auditevent")
    AuditChainHead.objects.create(pk=1, last_seq=count, last_hash=prev)
    return time.perf_counter() - started


def _first_page_ms(queryset) -> float:
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        list(queryset[:51])
        timings.append(time.perf_counter() - started)
    return min(timings) * 1000


def _worker() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)
    record_us, plain_us = _measure_record()
    load_s = _generate(EVENTS)

    from audit.models import AuditEvent
    from audit.selectors import event_list

    out = io.StringIO()
    started = time.perf_counter()
    call_command("audit_verify", stdout=out)  # raises (exit 1) if the generated chain did not verify
    verify_s = time.perf_counter() - started
    assert f"{EVENTS:,} events verified" in out.getvalue(), out.getvalue()
    newest = AuditEvent.objects.order_by("-id").values_list("actor", "timestamp").first()
    figures = {
        "events": EVENTS,
        "record_us": record_us,
        "plain_us": plain_us,
        "load_s": load_s,
        "verify_s": verify_s,
        "page_ms": _first_page_ms(event_list()),
        "page_action_ms": _first_page_ms(event_list().filter(action="config.resolved.read")),
        "page_actor_ms": _first_page_ms(event_list().filter(actor=newest[0])),
        "page_since_ms": _first_page_ms(event_list().filter(timestamp__gte=newest[1] - dt.timedelta(hours=1))),
    }
    print(json.dumps(figures))


if __name__ == "__main__" and sys.argv[1:] == ["--worker"]:
    _worker()
