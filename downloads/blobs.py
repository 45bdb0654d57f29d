"""The file store (Django's `files` storage) and the streaming writer that hashes while it writes.

Every byte of content is written once, straight into its final blob, and hashed on the way (the whole
sha256 and the chunk manifest), so nothing is held whole in memory or written twice.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import mimetypes
import os
import re
import unicodedata
import uuid
from collections.abc import Iterator
from typing import IO, Any

import filetype
from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages

from core.errors import InsufficientStorageError

SNIFF_BYTES = 8192
# RFC 6838 §4.2 `type/subtype` (restricted-name), no parameters: a media type a client named, or one stored
# before it was validated, reaches a header only if it matches (CR/LF would make Django refuse the response).
_MEDIA_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}")


@contextlib.contextmanager
def storage_space() -> Iterator[None]:
    """Turns "no space left" (or over the disk quota) while writing into a 507 problem."""
    try:
        yield
    except OSError as error:
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            raise InsufficientStorageError("The storage is full; nothing was kept.") from None
        raise


def files_storage() -> Storage:
    return storages["files"]


def local_path(name: str) -> str | None:
    """The blob's path when the storage is the local file system (the sendfile path), else None."""
    storage = files_storage()
    return storage.path(name) if isinstance(storage, FileSystemStorage) else None


def new_storage_name() -> str:
    key = uuid.uuid4().hex
    return f"blobs/{key[:2]}/{key}"


def sanitize_filename(name: str) -> str:
    """A display name safe for any file system and header: no path, no control characters, <= 255 chars."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    if len(name.encode()) > 255:
        _stem, dot, ext = name.rpartition(".")
        suffix = dot + ext if dot and len(ext) <= 16 else ""
        name = name.encode()[: 240 - len(suffix)].decode(errors="ignore") + suffix
    return name or "file"


def valid_content_type(value: str | None) -> str | None:
    """`value` lower-cased if it is a syntactically valid media type (RFC 6838 type/subtype), else None."""
    value = (value or "").strip()
    return value.lower() if _MEDIA_TYPE.fullmatch(value) else None


def header_content_type(value: str | None) -> str:
    """The Content-Type to send for a stored media type: never raw text that is not one."""
    return valid_content_type(value) or "application/octet-stream"


def sniff_content_type(head: bytes, name: str) -> str:
    """Magic numbers first (filetype), then the name's extension, then octet-stream."""
    return filetype.guess_mime(head) or mimetypes.guess_type(name)[0] or "application/octet-stream"


class ContentHasher:
    """sha256 of the whole content and of each `chunk_size` slice of it (the manifest), fed incrementally."""

    new_hash: Any = staticmethod(hashlib.sha256)  # a subclass may use a resumable sha256 (uploads.hashing)

    def __init__(self, chunk_size: int | None = None):
        self.chunk_size = chunk_size or settings.FILES_CHUNK_SIZE
        self.size = 0
        self.chunks: list[str] = []
        self.head = b""
        self._whole = self.new_hash()
        self._chunk = self.new_hash()
        self._in_chunk = 0

    def update(self, data: bytes) -> None:
        if len(self.head) < SNIFF_BYTES:
            self.head += data[: SNIFF_BYTES - len(self.head)]
        self._whole.update(data)
        self.size += len(data)
        view = memoryview(data)
        while view:
            take = min(len(view), self.chunk_size - self._in_chunk)
            # The data itself when it fits the chunk: a slice of it would be copied by a hash that takes
            # bytes only (uploads.hashing).
            self._chunk.update(data if take == len(data) else view[:take])
            self._in_chunk += take
            view = view[take:]
            if self._in_chunk == self.chunk_size:
                self._close_chunk()

    def _close_chunk(self) -> None:
        self.chunks.append(self._chunk.hexdigest())
        self._chunk = self.new_hash()
        self._in_chunk = 0

    def finish(self) -> tuple[str, list[str]]:
        if self._in_chunk:
            self._close_chunk()
        return self._whole.hexdigest(), self.chunks


def hash_stream(stream: IO[bytes], block_size: int = 1024 * 1024) -> ContentHasher:
    hasher = ContentHasher()
    for block in iter(lambda: stream.read(block_size), b""):
        hasher.update(block)
    hasher.finish()
    return hasher


class BlobWriter:
    """Writes one new blob in the `files` storage while hashing it; `abort()` leaves nothing behind.

    The local file system is written with a plain exclusive open (Django's FileSystemStorage.open cannot
    create files); other storages through `storage.open(name, "wb")` (django-storages' S3 file turns the
    writes into a multipart upload).
    """

    def __init__(self) -> None:
        self.name = new_storage_name()
        self.hasher = ContentHasher()
        self._storage = files_storage()
        path = local_path(self.name)
        self._handle: Any
        if path is not None:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            self._handle = open(path, "xb")  # noqa: SIM115 - closed by close() or abort()
        else:
            self._handle = self._storage.open(self.name, "wb")

    def write(self, data: bytes) -> None:
        self.hasher.update(data)
        with storage_space():
            self._handle.write(data)

    def close(self) -> None:
        with storage_space():
            self._handle.close()
        self.hasher.finish()

    def abort(self) -> None:
        if getattr(self._handle, "_is_dirty", False):
            # django-storages' S3 file completes its multipart upload on close unless it is clean;
            # marking it clean makes close() abort the multipart upload instead.
            self._handle._is_dirty = False
        try:
            with contextlib.suppress(OSError):  # e.g. a full disk refusing the last flush: the blob goes anyway
                self._handle.close()
        finally:
            delete_blob(self.name)


def delete_blob(name: str) -> None:
    storage = files_storage()
    with contextlib.suppress(FileNotFoundError):
        storage.delete(name)
