"""The streaming upload handler on its own: truncated bodies, extra files, the hash it computes."""

from __future__ import annotations

import hashlib
import io
import os

import pytest
from django.core.handlers.wsgi import WSGIRequest
from django.test import RequestFactory

from downloads.uploading import StoringUploadHandler

pytestmark = pytest.mark.django_db

BOUNDARY = "b0undary"


def _request(body: bytes, declared: int | None = None) -> WSGIRequest:
    environ = (
        RequestFactory()
        .post("/api/v1/files/", data=b"-", content_type=f"multipart/form-data; boundary={BOUNDARY}")
        .environ
    )
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body) if declared is None else declared)
    request = WSGIRequest(environ)
    request.upload_handlers = [StoringUploadHandler(request)]
    return request


def _part(name: str, filename: str, content: bytes) -> bytes:
    return (
        (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n\r\n').encode()
        + content
        + b"\r\n"
    )


def _blobs(settings) -> list[str]:
    return [name for _, _, names in os.walk(os.path.join(settings.MEDIA_ROOT, "blobs")) for name in names]


def test_handler__whole_body__one_stored_upload_with_hash(settings):
    content = os.urandom(200_000)
    request = _request(_part("file", "a.bin", content) + f"--{BOUNDARY}--\r\n".encode())

    upload = request.FILES["file"]

    assert upload.size == len(content)
    assert upload.writer.hasher.finish()[0] == hashlib.sha256(content).hexdigest()
    assert len(_blobs(settings)) == 1


def test_handler__second_file_field__skipped_not_stored(settings):
    body = _part("file", "a.bin", b"one") + _part("other", "b.bin", b"two") + f"--{BOUNDARY}--\r\n".encode()

    files = _request(body).FILES

    assert list(files) == ["file"]
    assert len(_blobs(settings)) == 1


def test_handler__body_cut_off__no_upload_and_no_blob(settings):
    body = _part("file", "a.bin", os.urandom(300_000))[:-2]

    request = _request(body, declared=len(body) + 10_000)

    assert "file" not in request.FILES
    assert _blobs(settings) == []
