"""Real clients against real gunicorn: curl and wget resume, aria2c fetches a signed link in 8 segments,
and an upload cut off midway leaves no row and no blob."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import time
from urllib.parse import urlsplit

import pytest
import requests

from downloads.models import File
from downloads.services import link_create
from tests.downloads.factories import make_file
from tests.support.auth import live_access
from tests.support.servers import gunicorn_server

pytestmark = pytest.mark.django_db(transaction=True)

SIZE = 24 * 1024 * 1024 + 12345
CONTENT = os.urandom(1024 * 1024) * 24 + os.urandom(12345)


def _ensure_tool(binary: str, package: str) -> str:
    """The tool's path, installing its Debian package when missing; else skip (pytest's -ra prints why)."""
    if shutil.which(binary) is None:
        try:
            subprocess.run(["apt-get", "install", "-y", "-q", package], capture_output=True, timeout=300, check=True)
        except (OSError, subprocess.SubprocessError) as error:
            pytest.skip(f"{binary} is missing and {package} cannot be installed: {error}")
    path = shutil.which(binary)
    if path is None:
        pytest.skip(f"{binary} is missing after installing {package}")
    return path


@pytest.fixture(scope="module")
def gunicorn_live(django_db_setup, tmp_path_factory):
    """One gunicorn for the module, on its own media root (the tests point their settings at it)."""
    media = tmp_path_factory.mktemp("live-media")
    with gunicorn_server(workers=2, MEDIA_ROOT=str(media)) as base_url:
        yield base_url, str(media)


@pytest.fixture
def live(gunicorn_live, settings):
    base_url, media = gunicorn_live
    settings.MEDIA_ROOT = media
    return base_url


def _cut_then_resume(first: list[str], resume: list[str], out: str) -> int:
    """Run `first` rate-limited until it is killed midway, then `resume`; returns the size after the cut."""
    with subprocess.Popen(first, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as process:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and (not os.path.exists(out) or os.path.getsize(out) < 2 * 1024 * 1024):
            time.sleep(0.05)
        process.kill()
    partial = os.path.getsize(out)
    subprocess.run(resume, check=True, capture_output=True, timeout=120)
    return partial


def _sha(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def test_curl_resume__interrupted_download__byte_identical(live, user, tmp_path):
    curl = _ensure_tool("curl", "curl")
    file = make_file(owner=user, content=CONTENT, name="big.bin")
    url = f"{live}/api/v1/files/{file.pk}/content/"
    auth = f"Authorization: Bearer {live_access(live, user)}"
    out = str(tmp_path / "curl.bin")

    partial = _cut_then_resume(
        [curl, "-sf", "--limit-rate", "4M", "-H", auth, "-o", out, url],
        [curl, "-sSf", "-C", "-", "-H", auth, "-o", out, url],
        out,
    )

    assert 0 < partial < SIZE
    assert _sha(out) == file.sha256


def test_wget_continue__interrupted_download__byte_identical(live, user, tmp_path):
    wget = _ensure_tool("wget", "wget")
    file = make_file(owner=user, content=CONTENT, name="big.bin")
    url = f"{live}/api/v1/files/{file.pk}/content/"
    auth = f"Authorization: Bearer {live_access(live, user)}"
    out = str(tmp_path / "wget.bin")

    partial = _cut_then_resume(
        [wget, "-q", "--limit-rate=4m", f"--header={auth}", "-O", out, url],
        [wget, "-q", "-c", f"--header={auth}", "-O", out, url],
        out,
    )

    assert 0 < partial < SIZE
    assert _sha(out) == file.sha256


def test_aria2c_parallel_segments__signed_link__byte_identical(live, user, tmp_path):
    aria2c = _ensure_tool("aria2c", "aria2")
    file = make_file(owner=user, content=CONTENT, name="big.bin")
    _, token = link_create(file=file, expires_in=600)

    result = subprocess.run(
        [
            aria2c,
            "-x",
            "8",
            "-s",
            "8",
            "-k",
            "1M",
            "--file-allocation=none",
            "--summary-interval=0",
            "-d",
            str(tmp_path),
            "-o",
            "aria.bin",
            f"{live}/api/v1/d/{token}/",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout[-2000:]
    assert _sha(str(tmp_path / "aria.bin")) == file.sha256


def _blobs(settings) -> set[str]:
    return {name for _, _, names in os.walk(os.path.join(settings.MEDIA_ROOT, "blobs")) for name in names}


def test_upload_cut_off_midway__no_row_no_blob(live, user, settings):
    token = live_access(live, user)
    before = _blobs(settings)
    boundary = "cutcutcut"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="cut.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    declared = len(head) + 10 * 1024 * 1024 + len(f"\r\n--{boundary}--\r\n")
    host, port = urlsplit(live).hostname, urlsplit(live).port
    with socket.create_connection((host, port)) as sock:
        sock.sendall(
            (
                f"POST /api/v1/files/ HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
                f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {declared}\r\n\r\n"
            ).encode()
            + head
            + os.urandom(3 * 1024 * 1024)
        )
        time.sleep(0.5)
    time.sleep(1.5)

    response = requests.get(f"{live}/api/v1/files/", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert response.json()["count"] == 0
    assert not File.objects.exists()
    assert _blobs(settings) == before
