"""Uploads made through the public service (with their partial bytes on disk), and tus request helpers."""

from __future__ import annotations

import base64
import hashlib
import io

from django.urls import reverse

from uploads.models import Upload
from uploads.services import upload_append, upload_create

TUS = {"HTTP_TUS_RESUMABLE": "1.0.0"}
OFFSET_STREAM = "application/offset+octet-stream"
LIST_URL = "/api/v1/uploads/"


def make_upload(
    *, owner, length: int | None = 10, received: bytes = b"", metadata: dict | None = None, concat: str = ""
) -> Upload:
    """An upload of `length` bytes (None: deferred) of which `received` already arrived."""
    upload = upload_create(owner=owner, length=length, metadata=metadata or {"filename": "report.txt"}, concat=concat)
    if received:
        upload = upload_append(upload=upload, offset=0, read=io.BytesIO(received).read, content_length=len(received))
    return upload


def detail_url(upload: Upload) -> str:
    return reverse("v1:uploads-upload-detail", args=[upload.pk])


def metadata_header(**values: str) -> str:
    return ",".join(f"{key} {base64.b64encode(value.encode()).decode()}" for key, value in values.items())


def checksum_header(algorithm: str, body: bytes) -> str:
    return f"{algorithm} {base64.b64encode(hashlib.new(algorithm, body).digest()).decode()}"
