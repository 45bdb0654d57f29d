"""Drill: the disk fills during an upload. MEDIA_ROOT is a 2 MiB tmpfs mounted for the drill.

Shows: a multipart upload and a tus upload bigger than the free space are refused with a 507 (or 413)
problem+json, not a 500; the multipart upload leaves no file row and no bytes; the tus upload keeps an
offset consistent with what is stored and, once deleted, leaves nothing behind.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from tests.support.auth import bearer, live_login
from tests.support.servers import gunicorn_server

pytestmark = pytest.mark.slow
TUS = {"Tus-Resumable": "1.0.0"}
DISK = 2 * 1024 * 1024


@pytest.fixture
def small_disk(tmp_path) -> Iterator[Path]:
    mount = tmp_path / "small-disk"
    mount.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK}", "tmpfs", str(mount)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs (needs root or CAP_SYS_ADMIN): {result.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _stored(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def _is_full_problem(response: requests.Response) -> bool:
    return response.status_code in (413, 507) and response.headers.get("Content-Type", "").startswith(
        "application/problem+json"
    )


@pytest.mark.django_db(transaction=True)
def test_disk_full__multipart_upload__507_problem_and_no_orphan(server_user, small_disk):
    with gunicorn_server(workers=1, MEDIA_ROOT=str(small_disk)) as base:
        auth = bearer(live_login(base, server_user.email)["access"])
        upload = requests.post(
            f"{base}/api/v1/files/",
            headers=auth,
            timeout=60,
            files={"file": ("big.bin", os.urandom(DISK + DISK // 2), "application/octet-stream")},
        )
        files = requests.get(f"{base}/api/v1/files/", headers=auth, timeout=30).json()
        small = requests.post(
            f"{base}/api/v1/files/",
            headers=auth,
            timeout=60,
            files={"file": ("small.bin", b"still works", "application/octet-stream")},
        )
        stored = _stored(small_disk)

    assert _is_full_problem(upload), f"{upload.status_code} {upload.headers.get('Content-Type')} {upload.text[:300]}"
    assert files["results"] == []
    assert small.status_code == 201, "the disk was left full after the refused upload"
    assert sum(path.stat().st_size for path in stored) == len(b"still works"), f"orphans: {stored}"
    print(
        f"\ndrill disk full (multipart): {upload.status_code} {upload.json().get('code')}; no row, no orphan; "
        "the next small upload succeeded"
    )


@pytest.mark.django_db(transaction=True)
def test_disk_full__tus_upload__507_problem_offset_consistent_and_delete_cleans(server_user, small_disk):
    size = DISK + DISK // 2
    with gunicorn_server(workers=1, MEDIA_ROOT=str(small_disk)) as base:
        auth = bearer(live_login(base, server_user.email)["access"])
        created = requests.post(
            f"{base}/api/v1/uploads/", headers={**auth, **TUS, "Upload-Length": str(size)}, timeout=30
        )
        if _is_full_problem(created):  # refused up front: nothing was written at all
            stored = _stored(small_disk)
            assert stored == []
            print(f"\ndrill disk full (tus): creation refused up front with {created.status_code}")
            return
        assert created.status_code == 201, created.text
        location = urlsplit(created.headers["Location"]).path
        patch = requests.patch(
            f"{base}{location}",
            data=os.urandom(size),
            timeout=60,
            headers={**auth, **TUS, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
        )
        head = requests.head(f"{base}{location}", headers={**auth, **TUS}, timeout=30)
        kept = sum(path.stat().st_size for path in _stored(small_disk))
        deleted = requests.delete(f"{base}{location}", headers={**auth, **TUS}, timeout=30)
        files = requests.get(f"{base}/api/v1/files/", headers=auth, timeout=30).json()
        stored = _stored(small_disk)

    assert _is_full_problem(patch), f"{patch.status_code} {patch.headers.get('Content-Type')} {patch.text[:300]}"
    assert int(head.headers["Upload-Offset"]) <= kept, "the offset claims bytes that are not stored"
    assert deleted.status_code == 204
    assert files["results"] == [] and stored == [], f"orphans after DELETE: {stored}"
    print(
        f"\ndrill disk full (tus): PATCH {patch.status_code}; offset {head.headers['Upload-Offset']} with "
        f"{kept} bytes kept; DELETE left nothing"
    )
