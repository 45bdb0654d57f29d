"""Drill: PostgreSQL goes away under load and comes back.

Shows: requests during the outage get a quick 503 problem+json with Retry-After (never a 500 or a hung
worker), /ready fails naming the database while /health stays up, the app recovers by itself once the
database is back, and no write is half-applied (an entry's history stays an unbroken 1..n).
"""

from __future__ import annotations

import threading
import time

import pytest
import requests
from django.db import connection

from tests.drills.conftest import assert_versions_consistent, create_entry, wait_until
from tests.support.auth import bearer, live_login
from tests.support.servers import database_url, gunicorn_server
from tests.support.tcp_proxy import TCPProxy

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]

OUTAGE_SECONDS = 8
QUICK_503_SECONDS = 7
STEADY = 10  # DB_POOL_TIMEOUT (5 s) plus margin: the longest a request may wait for a connection


class Writer(threading.Thread):
    """Increments the entry with If-Match in a loop, recording (status, seconds) of every write."""

    def __init__(self, entry_url: str, headers: dict):
        super().__init__(daemon=True)
        self.entry_url, self.headers = entry_url, headers
        self.results: list[tuple[int, float, bytes, str]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        http = requests.Session()
        while not self.stop.is_set():
            started = time.monotonic()
            current = http.get(self.entry_url, headers=self.headers, timeout=30)
            if current.status_code != 200:
                self.results.append(
                    (
                        current.status_code,
                        time.monotonic() - started,
                        current.content,
                        current.headers.get("Content-Type", ""),
                    )
                )
                time.sleep(0.1)
                continue
            started = time.monotonic()
            response = http.patch(
                self.entry_url,
                json={"value": current.json()["value"] + 1},
                headers={**self.headers, "If-Match": current.headers["ETag"]},
                timeout=30,
            )
            self.results.append(
                (
                    response.status_code,
                    time.monotonic() - started,
                    response.content,
                    response.headers.get("Content-Type", ""),
                )
            )


@pytest.mark.django_db(transaction=True)
def test_database_outage__quick_503__ready_fails__recovers__no_half_written_rows(server_user):
    if connection.vendor != "postgresql":
        pytest.skip("the database drill needs PostgreSQL")
    db = connection.settings_dict
    with TCPProxy(db.get("HOST") or "127.0.0.1", int(db.get("PORT") or 5432)) as proxy:
        proxied = database_url().replace(f":{db.get('PORT') or 5432}/", f":{proxy.port}/")
        with gunicorn_server(workers=2, DATABASE_URL=proxied) as base:
            headers = bearer(live_login(base, server_user.email)["access"])
            entry_url = create_entry(base, headers)
            writer = Writer(entry_url, headers)
            writer.start()
            time.sleep(2)

            proxy.close()
            outage_started = time.monotonic()
            time.sleep(1)
            ready = requests.get(f"{base}/ready", timeout=10)
            health = requests.get(f"{base}/health", timeout=10)
            started = time.monotonic()
            # A read that needs the database (the profile alone may come from the session cache).
            read = requests.get(f"{base}/api/v1/files/", headers=headers, timeout=30)
            read_seconds = time.monotonic() - started
            time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - outage_started)))

            proxy.open()
            recovery = wait_until(
                lambda: requests.get(f"{base}/api/v1/files/", headers=headers, timeout=10).status_code == 200,
                timeout=30,
            )
            wait_until(lambda: requests.get(f"{base}/ready", timeout=10).status_code == 200, timeout=30)
            restored = len(writer.results)
            # Settled: the last STEADY writes all succeeded (a pooled connection that died in the outage
            # may fail once more before the pool drops it).
            settled = wait_until(
                lambda: (
                    len(writer.results) >= restored + STEADY
                    and all(status in (200, 412) for status, *_ in writer.results[-STEADY:])
                ),
                timeout=30,
            )
            writer.stop.set()
            writer.join(timeout=40)

            entry = assert_versions_consistent(entry_url, headers)

    assert ready.status_code == 503 and ready.json()["checks"]["database"]["status"] == "fail"
    assert ready.headers.get("Retry-After")
    assert health.status_code == 200
    assert read.status_code == 503 and read.headers["Content-Type"].startswith("application/problem+json")
    assert read.headers.get("Retry-After") and read.json()["code"] == "service_unavailable"
    assert read_seconds < QUICK_503_SECONDS
    statuses = [status for status, *_ in writer.results]
    assert 500 not in statuses, [body for status, _, body, _ in writer.results if status == 500][:3]
    assert set(statuses) <= {200, 412, 503}, set(statuses)
    assert 503 in statuses, "the writer never saw the outage"
    outage = [(seconds, ctype) for status, seconds, _, ctype in writer.results if status == 503]
    assert max(seconds for seconds, _ in outage) < QUICK_503_SECONDS
    assert all(ctype.startswith("application/problem+json") for _, ctype in outage)
    assert recovery < 20 and settled < 20
    # Every acknowledged write is in the history; a write whose answer was lost may be there too.
    acknowledged = statuses.count(200)
    assert acknowledged <= entry["version"] - 1 <= acknowledged + statuses.count(503)
    print(
        f"\ndrill database: {len(statuses)} writes, {acknowledged} ok, {statuses.count(503)} answered 503 "
        f"(slowest {max(seconds for seconds, _ in outage):.2f} s), recovered {recovery:.1f} s after the "
        f"database came back ({statuses[restored:].count(503)} stale-connection 503s after /ready, steady "
        f"{settled:.1f} s later); entry at version {entry['version']}, history 1..{entry['version']} intact"
    )
