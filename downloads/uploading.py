"""The multipart upload handler: streams the `file` field straight into a new blob, hashing as it writes.

Django runs upload handlers when the body is first parsed (the first access to request.data / POST /
FILES), so the view installs this handler before DRF initializes the request; nothing else reads the body
before it (DRF views are CSRF-exempt and JWT authentication does not touch the body).
"""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile

from core.errors import PayloadTooLargeError
from downloads.blobs import BlobWriter
from downloads.services import quota_ensure_available

# Room for the multipart framing (boundaries, part headers, small fields) around the file's bytes.
MULTIPART_OVERHEAD = 64 * 1024
FIELD = "file"


class StoredUpload(UploadedFile):
    """The `file` field once stored: its blob writer carries the blob name, size, sha256 and manifest."""

    def __init__(self, writer: BlobWriter, name: str, content_type: str | None):
        super().__init__(file=None, name=name, content_type=content_type, size=writer.hasher.size)
        self.writer = writer


class StoringUploadHandler(FileUploadHandler):
    def __init__(self, request: Any = None):
        super().__init__(request)
        self.writer: BlobWriter | None = None
        self.completed = False
        self.max_size = settings.MAX_UPLOAD_SIZE

    def handle_raw_input(self, input_data: Any, META: Any, content_length: int, boundary: Any, encoding: Any = None):
        # Refuse before reading a byte what cannot fit: the size limit and the owner's quota.
        if content_length > self.max_size + MULTIPART_OVERHEAD:
            raise PayloadTooLargeError(f"The upload is larger than {self.max_size} bytes.")
        user = getattr(self.request, "user", None)
        if user is not None and user.is_authenticated:
            quota_ensure_available(owner=user, additional_bytes=max(0, content_length - MULTIPART_OVERHEAD))

    def new_file(self, field_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, *args, **kwargs)
        if field_name != FIELD or self.writer is not None:
            raise SkipFile()  # only one file, in the `file` field, is stored
        self.writer = BlobWriter()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        writer = cast(BlobWriter, self.writer)  # new_file() either set it or skipped this part
        if writer.hasher.size + len(raw_data) > self.max_size:
            raise PayloadTooLargeError(f"The upload is larger than {self.max_size} bytes.")
        writer.write(raw_data)

    def file_complete(self, file_size: int) -> StoredUpload | None:
        if self.writer is None or self.field_name != FIELD:
            return None
        self.writer.close()
        self.completed = True
        return StoredUpload(self.writer, self.file_name or "file", self.content_type)

    def upload_interrupted(self) -> None:
        # Django also calls this when a later part was skipped; only an unfinished file is dropped here.
        if not self.completed:
            self.discard()

    def discard(self) -> None:
        """Delete the blob written so far (an aborted, refused or invalid upload leaves nothing)."""
        if self.writer is not None:
            self.writer.abort()
            self.writer = None
