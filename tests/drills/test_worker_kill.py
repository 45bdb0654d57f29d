"""Drill: a gunicorn worker is SIGKILLed in the middle of an upload and in the middle of a config write.

Shows: a tus upload cut by the kill keeps a consistent offset and resumes to a file with the right
sha256 (no partial file ever appears in /files/); a multipart upload cut by the kill leaves no file row,
and the bytes it had streamed are an orphan that `files_cleanup` recognises and deletes; a config write
killed inside its transaction leaves no half version (PostgreSQL rolls the transaction back) and the
master replaces the worker.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
import requests
from django.conf import settings
from django.db import connection

from tests.drills.conftest import (
    assert_versions_consistent,
    create_entry,
    gunicorn_worker_pids,
    kill_workers,
    wait_until,
)
from tests.support.auth import bearer, live_login
from tests.support.servers import ROOT, database_url, gunicorn_server, server_env

pytestmark = pytest.mark.slow
TUS = {"Tus-Resumable": "1.0.0"}
SIZE = 4 * 1024 * 1024


def _send_partially(base_url: str, method: str, path: str, headers: dict, body: bytes, sent: int) -> socket.socket:
    """Start a request whose body is `body` but send only its first `sent` bytes; the socket stays open."""
    parts = urlsplit(base_url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=30)
    head = [f"{method} {path} HTTP/1.1", f"Host: {parts.netloc}", f"Content-Length: {len(body)}"]
    head += [f"{name}: {value}" for name, value in headers.items()]
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body[:sent])
    return sock


def _files_on_disk() -> list[Path]:
    return [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


@pytest.mark.django_db(transaction=True)
def test_worker_killed_during_tus_upload__offset_consistent__resume_gives_exact_file(server_user):
    content = os.urandom(SIZE)
    with gunicorn_server(workers=1) as base:
        auth = bearer(live_login(base, server_user.email)["access"])
        created = requests.post(
            f"{base}/api/v1/uploads/", headers={**auth, **TUS, "Upload-Length": str(SIZE)}, timeout=30
        )
        assert created.status_code == 201, created.text
        location = urlsplit(created.headers["Location"]).path
        patch_headers = {**auth, **TUS, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}
        sock = _send_partially(base, "PATCH", location, patch_headers, content, SIZE // 2)
        time.sleep(1.0)  # let the worker write what arrived
        killed = kill_workers(base)
        sock.close()
        wait_until(lambda: gunicorn_worker_pids(base) and gunicorn_worker_pids(base) != killed, timeout=30)

        head = requests.head(f"{base}{location}", headers={**auth, **TUS}, timeout=30)
        files_during = requests.get(f"{base}/api/v1/files/", headers=auth, timeout=30).json()
        offset = int(head.headers["Upload-Offset"])
        rest = content[offset:]
        digest = base64.b64encode(hashlib.sha256(rest).digest()).decode()
        finished = requests.patch(
            f"{base}{location}",
            data=rest,
            timeout=60,
            headers={**patch_headers, "Upload-Offset": str(offset), "Upload-Checksum": f"sha256 {digest}"},
        )
        file_id = finished.headers.get("Upload-File-Id")
        stored = requests.get(f"{base}/api/v1/files/{file_id}/", headers=auth, timeout=30).json()
        files_after = requests.get(f"{base}/api/v1/files/", headers=auth, timeout=30).json()

    assert head.status_code == 200 and 0 <= offset <= SIZE // 2
    assert files_during["results"] == [], "a partial upload showed up as a file"
    assert finished.status_code == 204, finished.text
    assert stored["sha256"] == hashlib.sha256(content).hexdigest() and stored["size"] == SIZE
    assert [item["id"] for item in files_after["results"]] == [file_id]
    print(
        f"\ndrill worker kill (tus): killed pid {killed} with {SIZE // 2} of {SIZE} bytes sent; upload resumed "
        f"at offset {offset}; completed file sha256 matches"
    )


@pytest.mark.django_db(transaction=True)
def test_worker_killed_during_multipart_upload__no_file_row_no_blob(server_user):
    content = os.urandom(SIZE)
    boundary = "drill-boundary-0123456789"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="cut.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    with gunicorn_server(workers=1) as base:
        auth = bearer(live_login(base, server_user.email)["access"])
        before = set(_files_on_disk())
        headers = {**auth, "Content-Type": f"multipart/form-data; boundary={boundary}"}
        sock = _send_partially(base, "POST", "/api/v1/files/", headers, body, len(body) // 2)
        time.sleep(1.0)
        killed = kill_workers(base)
        sock.close()
        wait_until(lambda: gunicorn_worker_pids(base) and gunicorn_worker_pids(base) != killed, timeout=30)
        files = requests.get(f"{base}/api/v1/files/", headers=auth, timeout=30).json()
    orphans = set(_files_on_disk()) - before
    # The operator's cron job, with no grace period (nothing else is in flight here).
    cleanup = subprocess.run(
        [sys.executable, "manage.py", "files_cleanup"],
        cwd=ROOT,
        env=server_env(FILES_ORPHAN_GRACE="0"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert files["results"] == [], "a cut upload became a file"
    assert cleanup.returncode == 0, cleanup.stderr[-2000:]
    leftovers = set(_files_on_disk()) - before
    assert not leftovers, f"orphaned bytes under MEDIA_ROOT after files_cleanup: {sorted(map(str, leftovers))}"
    print(
        f"\ndrill worker kill (multipart): killed pid {killed} mid-body; no file row; {len(orphans)} orphaned "
        "blob(s) removed by files_cleanup"
    )


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_worker_killed_inside_config_write__no_half_version(server_user):
    if connection.vendor != "postgresql":
        pytest.skip("holding the write mid-transaction needs PostgreSQL locks")
    with gunicorn_server(workers=1) as base:
        auth = bearer(live_login(base, server_user.email)["access"])
        entry_url = create_entry(base, auth, namespace="kill-drill")
        current = requests.get(entry_url, headers=auth, timeout=30)
        # Hold the version table so the worker's write transaction blocks halfway, then kill the worker.
        with psycopg.connect(database_url()) as blocker:
            blocker.execute("LOCK TABLE configurations_entryversion IN EXCLUSIVE MODE")
            write = threading.Thread(
                target=lambda: _swallow(
                    lambda: requests.patch(
                        entry_url,
                        json={"value": 41},
                        headers={**auth, "If-Match": current.headers["ETag"]},
                        timeout=60,
                    )
                ),
                daemon=True,
            )
            write.start()
            waiting = wait_until(lambda: _lock_waiters() > 0, timeout=20)
            killed = kill_workers(base)
            blocker.rollback()
        write.join(timeout=30)
        wait_until(lambda: gunicorn_worker_pids(base) and gunicorn_worker_pids(base) != killed, timeout=30)
        entry = assert_versions_consistent(entry_url, auth)
        retried = requests.patch(
            entry_url, json={"value": 42}, headers={**auth, "If-Match": current.headers["ETag"]}, timeout=30
        )

    assert entry["version"] == 1 and entry["value"] == 0, "the killed write left a trace"
    assert retried.status_code == 200 and retried.json()["version"] == 2
    print(
        f"\ndrill worker kill (config write): worker {killed} killed {waiting:.1f} s into a blocked write; "
        "entry still version 1, history intact, the same If-Match then succeeded"
    )


def _lock_waiters() -> int:
    with psycopg.connect(database_url(), autocommit=True) as probe:
        row = probe.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()
    return row[0]


def _swallow(call) -> None:
    with contextlib.suppress(requests.RequestException):  # the worker died under this request: no answer
        call()
