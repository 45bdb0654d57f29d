"""Two gunicorn instances on separate disks sharing one S3 bucket (moto's server) and the database.

The second release's promise (API.md): with STORAGE_URL=s3://… either instance takes the next PATCH of an
upload, a PATCH racing another at one offset gets 409 (never interleaved bytes), a PATCH cut off on one
instance is resumed on the other, a killed holder's upload is taken over, tuspy can upload in parallel
partial uploads (concatenation), and no instance's disk holds an upload's bytes.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import os
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import pytest
import requests
from django.db import connection
from tusclient import client as tus_client

from tests.accounts.factories import UserFactory
from tests.support.auth import live_access
from tests.support.servers import gunicorn_server
from tests.uploads.conftest import BUCKET, bucket_url, empty_bucket, s3_client

# Instances share a database server: with SQLite (one host) there is no deployment of several instances.
pytestmark = [pytest.mark.slow, pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

MIB = 1024 * 1024
PART = 5 * MIB


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: several instances share one database server")


@pytest.fixture
def bucket(moto_endpoint):
    client = s3_client(moto_endpoint)
    client.create_bucket(Bucket=BUCKET)
    yield client
    empty_bucket(client)
    client.delete_bucket(Bucket=BUCKET)


@contextmanager
def _instances(tmp_path: Path, endpoint: str, count: int = 2):
    """`count` instances, each with its own MEDIA_ROOT and VAR_DIR; yields (base URLs, their disks)."""
    with ExitStack() as stack:
        urls, disks = [], []
        for index in range(count):
            disk = tmp_path / f"instance-{index}"
            (disk / "media").mkdir(parents=True)
            env = {
                "MEDIA_ROOT": str(disk / "media"),
                "VAR_DIR": str(disk / "var"),
                "STORAGE_URL": bucket_url(endpoint),
                "UPLOADS_S3_PART_SIZE": str(PART),
                "THROTTLE_USER_RATE": "100000/min",
            }
            urls.append(stack.enter_context(gunicorn_server(workers=2, **env)))
            disks.append(disk)
        yield urls, disks


def _disk_bytes(disk: Path) -> int:
    return sum(path.stat().st_size for path in (disk / "media").rglob("*") if path.is_file())


def _create(base: str, token: str, length: int, **headers: str) -> str:
    response = requests.post(
        f"{base}/api/v1/uploads/",
        headers={"Authorization": f"Bearer {token}", "Tus-Resumable": "1.0.0", "Upload-Length": str(length), **headers},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return urlsplit(response.headers["Location"]).path


def _patch(base: str, token: str, path: str, offset: int, body: bytes) -> requests.Response:
    return requests.patch(
        f"{base}{path}",
        data=body,
        headers={
            "Authorization": f"Bearer {token}",
            "Tus-Resumable": "1.0.0",
            "Content-Type": "application/offset+octet-stream",
            "Upload-Offset": str(offset),
        },
        timeout=60,
    )


def _head(base: str, token: str, path: str) -> requests.Response:
    return requests.head(
        f"{base}{path}", headers={"Authorization": f"Bearer {token}", "Tus-Resumable": "1.0.0"}, timeout=30
    )


def _file(base: str, token: str, file_id: str) -> dict:
    response = requests.get(f"{base}/api/v1/files/{file_id}/", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def _open_patch(base: str, token: str, path: str, offset: int, length: int, first: bytes) -> socket.socket:
    """A PATCH whose headers promise `length` bytes, of which only `first` are sent; the socket stays open."""
    port = urlsplit(base).port
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = (
        f"PATCH {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
        f"Tus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\nUpload-Offset: {offset}\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()
    sock.sendall(head + first)
    return sock


def _settled_offset(base: str, token: str, path: str, at_least: int) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        offset = int(_head(base, token, path).headers["Upload-Offset"])
        if offset >= at_least:
            return offset
        time.sleep(0.2)
    raise AssertionError("the cut-off PATCH's bytes were never committed")


def test_two_instances__alternate_patches__one_file_and_no_bytes_on_either_disk(tmp_path, moto_endpoint, bucket):
    user = UserFactory()
    content = os.urandom(23 * MIB)
    cuts = [0, 3 * MIB, 9 * MIB, 11 * MIB, 18 * MIB, len(content)]  # tails and parts in every order
    with _instances(tmp_path, moto_endpoint) as (urls, disks):
        token = live_access(urls[0], user)
        path = _create(urls[0], token, len(content))
        for index, (start, end) in enumerate(itertools.pairwise(cuts)):
            response = _patch(urls[index % 2], token, path, start, content[start:end])
            assert response.status_code == 204, response.text
            assert response.headers["Upload-Offset"] == str(end)
            assert max(_disk_bytes(disk) for disk in disks) == 0  # the bytes are in the bucket
        file = _file(urls[1], token, response.headers["Upload-File-Id"])
    assert (file["size"], file["sha256"]) == (len(content), hashlib.sha256(content).hexdigest())
    assert bucket.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []


def test_two_instances__racing_patches_at_one_offset__one_wins_never_interleaved(tmp_path, moto_endpoint, bucket):
    user = UserFactory()
    bodies = [bytes([65 + index]) * (6 * MIB) for index in range(2)]
    with _instances(tmp_path, moto_endpoint) as (urls, _disks):
        token = live_access(urls[0], user)
        path = _create(urls[0], token, 6 * MIB)
        start = threading.Barrier(2)

        def race(index: int) -> requests.Response:
            start.wait(10)
            return _patch(urls[index], token, path, 0, bodies[index])

        with ThreadPoolExecutor(2) as pool:
            responses = list(pool.map(race, range(2)))
        statuses = sorted(response.status_code for response in responses)
        assert statuses == [204, 409], [response.text for response in responses]
        loser = next(response for response in responses if response.status_code == 409)
        assert loser.json()["code"] in {"upload_locked", "offset_mismatch"}
        winner = next(response for response in responses if response.status_code == 204)
        file = _file(urls[0], token, winner.headers["Upload-File-Id"])
    assert file["sha256"] in {hashlib.sha256(body).hexdigest() for body in bodies}


def test_two_instances__patch_cut_off_on_one__resumed_on_the_other(tmp_path, moto_endpoint, bucket):
    user = UserFactory()
    content = os.urandom(14 * MIB)
    sent = 8 * MIB
    with _instances(tmp_path, moto_endpoint) as (urls, disks):
        token = live_access(urls[0], user)
        path = _create(urls[0], token, len(content))
        sock = _open_patch(urls[0], token, path, 0, len(content), content[:sent])
        time.sleep(0.5)
        sock.close()  # the client goes away mid-body
        offset = _settled_offset(urls[1], token, path, at_least=PART)
        assert offset <= sent
        assert max(_disk_bytes(disk) for disk in disks) == 0
        response = _patch(urls[1], token, path, offset, content[offset:])
        assert response.status_code == 204, response.text
        file = _file(urls[1], token, response.headers["Upload-File-Id"])
    assert file["sha256"] == hashlib.sha256(content).hexdigest()


def _kill(server) -> None:
    master = psutil.Process(server.process.pid)
    for process in [*master.children(recursive=True), master]:
        process.kill()
    server.process.wait(10)


def test_two_instances__holder_killed_mid_patch__other_instance_takes_over(tmp_path, moto_endpoint, bucket):
    user = UserFactory()
    content = os.urandom(12 * MIB)
    with _instances(tmp_path, moto_endpoint) as (urls, _disks):
        token = live_access(urls[0], user)
        path = _create(urls[0], token, len(content))
        sock = _open_patch(urls[0], token, path, 0, len(content), content[: 7 * MIB])
        _settled_offset(urls[1], token, path, at_least=PART)  # one part committed while the PATCH still runs
        locked = _patch(urls[1], token, path, PART, content[PART:])
        assert locked.status_code == 409
        assert locked.json()["code"] == "upload_locked"
        _kill(urls[0])  # the holder's instance dies with the lock: PostgreSQL ends its session
        sock.close()
        deadline = time.monotonic() + 30
        while True:
            offset = int(_head(urls[1], token, path).headers["Upload-Offset"])
            response = _patch(urls[1], token, path, offset, content[offset:])
            if response.status_code != 409 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert response.status_code == 204, response.text
        file = _file(urls[1], token, response.headers["Upload-File-Id"])
    assert file["sha256"] == hashlib.sha256(content).hexdigest()


def test_two_instances__tuspy_parallel_partials_then_final__one_file(tmp_path, moto_endpoint, bucket):
    user = UserFactory()
    content = os.urandom(16 * MIB)
    pieces = [content[: 6 * MIB], content[6 * MIB : 12 * MIB], content[12 * MIB :]]
    with _instances(tmp_path, moto_endpoint) as (urls, disks):
        token = live_access(urls[0], user)

        def upload_piece(index: int) -> str:
            client = tus_client.TusClient(
                f"{urls[index % 2]}/api/v1/uploads/",
                headers={"Authorization": f"Bearer {token}", "Upload-Concat": "partial"},
            )
            uploader = client.uploader(file_stream=io.BytesIO(pieces[index]), chunk_size=4 * MIB)
            uploader.upload()
            return urlsplit(uploader.url).path

        with ThreadPoolExecutor(3) as pool:
            paths = list(pool.map(upload_piece, range(3)))
        listed = requests.get(f"{urls[0]}/api/v1/files/", headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert listed.json()["results"] == []  # partial uploads are no files
        final = requests.post(
            f"{urls[1]}/api/v1/uploads/",
            headers={
                "Authorization": f"Bearer {token}",
                "Tus-Resumable": "1.0.0",
                "Upload-Concat": "final;" + " ".join(paths),
            },
            timeout=60,
        )
        assert final.status_code == 201, final.text
        file = _file(urls[0], token, final.headers["Upload-File-Id"])
        assert max(_disk_bytes(disk) for disk in disks) == 0
    assert (file["size"], file["sha256"]) == (len(content), hashlib.sha256(content).hexdigest())
