"""The local-disk store of uploads in progress: one file per upload under MEDIA_ROOT/uploads-partial/.

Used when the `files` storage is the local file system (every worker and instance sharing the media directory
sees the partials). Bytes are synced once when a PATCH ends (fdatasync), and every CHECKPOINT_BYTES during a
long one, before the offset that vouches for them is committed: the offset never runs ahead of durable bytes.
"""

from __future__ import annotations

import errno
import os
import uuid
from pathlib import Path
from typing import IO, Any

from django.conf import settings

from downloads.blobs import files_storage, local_path, new_storage_name

PARTIAL_DIR = "uploads-partial"
# A long PATCH makes its progress durable this often, so a worker killed mid-body (gunicorn's timeout, a
# deploy) loses at most this much.
CHECKPOINT_BYTES = 64 * 1024 * 1024


def partial_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / PARTIAL_DIR
    path.mkdir(parents=True, exist_ok=True)
    return path


def partial_path(upload_id: uuid.UUID) -> Path:
    return partial_dir() / f"{upload_id}.part"


class LocalSink:
    """One request's writes into the partial file at `offset` (see receiving.Sink)."""

    def __init__(self, upload_id: uuid.UUID, offset: int):
        self._fd = os.open(partial_path(upload_id), os.O_WRONLY | os.O_CREAT, 0o600)
        os.lseek(self._fd, offset, os.SEEK_SET)
        self._position = self._committed = self._synced = offset

    def room(self) -> int:
        return CHECKPOINT_BYTES

    def write(self, data: bytes) -> bool:
        _write_all(self._fd, data)
        self._position += len(data)
        if self._position - self._synced >= CHECKPOINT_BYTES:
            os.fdatasync(self._fd)
            self._synced = self._position
            return True
        return False

    def flush(self, *, last: bool) -> dict[str, Any]:
        # Bytes a crashed earlier request (or a short write on a full disk) left past the position go.
        os.ftruncate(self._fd, self._position)
        os.fdatasync(self._fd)
        self._synced = self._position
        return {}

    def state(self) -> dict[str, Any]:
        return {}

    def discard(self) -> None:
        os.ftruncate(self._fd, self._committed)
        os.fdatasync(self._fd)
        self._position = self._synced = self._committed

    def committed(self) -> None:
        self._committed = self._position

    def close(self) -> None:
        os.close(self._fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class LocalStore:
    """Partial bytes in a local file; completion hard-links it into the `files` storage (no copy)."""

    name = "local"

    def begin(self, upload_id: uuid.UUID) -> dict[str, Any]:
        partial_path(upload_id).touch(exist_ok=False)
        return {}

    def sink(self, upload: Any) -> LocalSink:
        return LocalSink(upload.pk, upload.offset)

    def complete(self, upload: Any) -> str:
        """The name of a new blob holding the upload's bytes. The partial stays until `remove` (after the
        commit), so a failure before it leaves everything to retry."""
        name = new_storage_name()
        target = local_path(name)
        if target is None:  # the files storage is not local (configuration changed mid-upload): copy in
            with open(partial_path(upload.pk), "rb") as source:
                return files_storage().save(name, source)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        try:
            os.link(partial_path(upload.pk), target)
        except OSError as error:
            if error.errno != errno.EXDEV:
                raise
            with open(partial_path(upload.pk), "rb") as source:
                return files_storage().save(name, source)
        return name

    def seal(self, upload: Any) -> None:
        """A finished partial upload (concatenation) stays in its partial file."""

    def open_bytes(self, upload: Any) -> IO[bytes]:
        return open(partial_path(upload.pk), "rb")

    def remove(self, upload: Any, *, keep_object: bool = False) -> None:
        partial_path(upload.pk).unlink(missing_ok=True)
