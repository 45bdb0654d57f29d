"""The official tus client (tuspy) against real gunicorn: a 100 MB upload cut off midway and resumed."""

import hashlib
import os
import time
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
from tusclient import client as tus_client
from tusclient.exceptions import TusCommunicationError, TusUploadFailed

from tests.accounts.factories import UserFactory
from tests.support.auth import live_access
from tests.support.servers import gunicorn_server
from tests.support.tcp_proxy import TCPProxy

SIZE = 100 * 1000 * 1000
CHUNK = 8 * 1024 * 1024
CUT_AFTER = 4 * CHUNK + 3 * 1000 * 1000  # mid-way through the fifth PATCH


def _big_file(path) -> str:
    digest = hashlib.sha256()
    block = os.urandom(1024 * 1024)
    with open(path, "wb") as out:
        written = 0
        while written < SIZE:
            part = block[: SIZE - written]
            out.write(part)
            digest.update(part)
            written += len(part)
    return digest.hexdigest()


def _settled_offset(url: str, headers: dict, previous: int = -1) -> int:
    """The server's offset once the cut-off PATCH has been committed (it finishes shortly after the cut)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        offset = int(
            requests.head(url, headers={**headers, "Tus-Resumable": "1.0.0"}, timeout=5).headers["Upload-Offset"]
        )
        if offset % CHUNK:
            return offset
        time.sleep(0.1)
    raise AssertionError("the server never committed the bytes of the cut-off PATCH")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_tuspy_upload__connection_cut_midway__new_client_resumes_to_the_right_file(tmp_path):
    user = UserFactory()
    source = tmp_path / "big.bin"
    sha256 = _big_file(source)
    with gunicorn_server(workers=2) as base_url:
        headers = {"Authorization": f"Bearer {live_access(base_url, user)}"}
        upstream_port = urlsplit(base_url).port
        with TCPProxy("127.0.0.1", upstream_port, cut_after=CUT_AFTER) as proxy:
            first = tus_client.TusClient(f"http://127.0.0.1:{proxy.port}/api/v1/uploads/", headers=headers)
            uploader = first.uploader(str(source), chunk_size=CHUNK, metadata={"filename": "big.bin"})
            with pytest.raises((TusCommunicationError, TusUploadFailed, requests.RequestException)):
                uploader.upload()
            assert proxy.cut.is_set()
        # The Location was built from the proxy's address: reach the same upload on the server directly.
        url = urlunsplit(urlsplit(uploader.url)._replace(netloc=f"127.0.0.1:{upstream_port}"))
        offset = _settled_offset(url, headers)
        assert 4 * CHUNK < offset < 5 * CHUNK  # the bytes of the cut-off PATCH that arrived were kept

        second = tus_client.TusClient(f"{base_url}/api/v1/uploads/", headers=headers)
        resumed = second.uploader(str(source), url=url, chunk_size=CHUNK, upload_checksum=True)
        assert resumed.offset == offset  # tuspy asked the server (HEAD) where to resume
        resumed.upload()

        head = requests.head(url, headers={**headers, "Tus-Resumable": "1.0.0"}, timeout=5)
        file_id = head.headers["Upload-File-Id"]
        detail = requests.get(f"{base_url}/api/v1/files/{file_id}/", headers=headers, timeout=10)
    assert head.headers["Upload-Offset"] == str(SIZE)
    assert detail.status_code == 200, detail.text
    assert (detail.json()["size"], detail.json()["sha256"], detail.json()["name"]) == (SIZE, sha256, "big.bin")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_real_http__chunked_bodies_and_checksum_mismatch__as_the_protocol_says():
    user = UserFactory()
    with gunicorn_server(workers=1) as base_url:
        tus = {"Authorization": f"Bearer {live_access(base_url, user)}", "Tus-Resumable": "1.0.0"}
        stream = {**tus, "Content-Type": "application/offset+octet-stream"}
        # Generators make requests send Transfer-Encoding: chunked (no Content-Length).
        created = requests.post(
            f"{base_url}/api/v1/uploads/", data=iter([b"abc", b"def"]), headers={**stream, "Upload-Length": "10"}
        )
        url = created.headers["Location"]
        mismatch = requests.patch(
            url, data=b"gh", headers={**stream, "Upload-Offset": "6", "Upload-Checksum": "sha1 " + "A" * 27 + "="}
        )
        finished = requests.patch(url, data=iter([b"gh", b"ij"]), headers={**stream, "Upload-Offset": "6"})
        detail = requests.get(f"{base_url}/api/v1/files/{finished.headers['Upload-File-Id']}/", headers=tus)

    assert (created.status_code, created.headers["Upload-Offset"]) == (201, "6")
    assert (mismatch.status_code, mismatch.reason) == (460, "Checksum Mismatch")
    assert mismatch.headers["Content-Type"] == "application/problem+json"
    assert mismatch.json()["code"] == "checksum_mismatch"
    assert (finished.status_code, finished.headers["Upload-Offset"]) == (204, "10")
    assert detail.json()["sha256"] == hashlib.sha256(b"abcdefghij").hexdigest()
