"""The bytes of uploads in progress, and the lock that lets one request at a time append to an upload.

Partial bytes live under MEDIA_ROOT/uploads-partial/ so every worker and instance sharing the media
directory sees them. Appends stream from the request in bounded reads; nothing holds a whole body.
"""

from __future__ import annotations

import errno
import fcntl
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection

from core.errors import ConflictError

PARTIAL_DIR = "uploads-partial"
READ_SIZE = 1024 * 1024
# A long PATCH makes its progress durable this often, so a worker killed mid-body (gunicorn's timeout, a
# deploy) loses at most this much: the offset in the database never runs ahead of the synced bytes.
CHECKPOINT_BYTES = 64 * 1024 * 1024


class UploadLockedError(ConflictError):
    code = "upload_locked"

    def __init__(self) -> None:
        super().__init__("Another request is writing to this upload; retry after it ends (HEAD for the offset).")


@dataclass(frozen=True)
class Appended:
    received: int  # bytes written at the offset
    interrupted: bool  # the body ended before its declared length (client gone, connection cut)
    disk_full: bool = False  # the storage ran out of space; `received` are the bytes written before


def partial_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / PARTIAL_DIR
    path.mkdir(parents=True, exist_ok=True)
    return path


def partial_path(upload_id: uuid.UUID) -> Path:
    return partial_dir() / f"{upload_id}.part"


def create_partial(upload_id: uuid.UUID) -> None:
    partial_path(upload_id).touch(exist_ok=False)


def remove_partial(upload_id: uuid.UUID) -> None:
    for path in (partial_path(upload_id), _lock_path(upload_id)):
        path.unlink(missing_ok=True)


def append(
    upload_id: uuid.UUID,
    *,
    offset: int,
    read: Callable[[int], bytes],
    limit: int,
    expected: int | None,
    on_chunk: Callable[[bytes], None] | None = None,
    on_checkpoint: Callable[[int], None] | None = None,
) -> Appended:
    """Copy at most `limit` bytes from `read` into the partial file at `offset`, then cut the file there.

    `expected` is the declared body length (None for a chunked body, which ends at EOF). A read error or an
    early EOF means the client went away: what arrived is kept, written and synced, and reported as
    interrupted. A full disk stops the copy the same way, reported as disk_full, and the file is cut back to
    the bytes written whole. Bytes a crashed earlier request left past `offset` are overwritten or cut off. Every
    CHECKPOINT_BYTES, the bytes so far are synced and `on_checkpoint(received)` may record them.
    """
    received, interrupted, disk_full, checkpointed = 0, False, False, 0
    fd = os.open(partial_path(upload_id), os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        os.lseek(fd, offset, os.SEEK_SET)
        while received < limit:
            try:
                chunk = read(min(READ_SIZE, limit - received))
            except OSError:  # Django's UnreadablePostError, gunicorn's NoMoreData: the client is gone
                interrupted = True
                break
            if not chunk:
                interrupted = expected is not None and received < expected
                break
            if on_chunk is not None:
                on_chunk(chunk)
            try:
                _write_all(fd, chunk)
            except OSError as error:
                if error.errno not in (errno.ENOSPC, errno.EDQUOT):
                    raise
                disk_full = True
                break
            received += len(chunk)
            if on_checkpoint is not None and received - checkpointed >= CHECKPOINT_BYTES:
                os.fdatasync(fd)
                on_checkpoint(received)
                checkpointed = received
        os.ftruncate(fd, offset + received)
        os.fdatasync(fd)
    finally:
        os.close(fd)
    return Appended(received, interrupted, disk_full)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def truncate(upload_id: uuid.UUID, size: int) -> None:
    os.truncate(partial_path(upload_id), size)


@contextmanager
def exclusive(upload_id: uuid.UUID) -> Iterator[None]:
    """Hold the upload's write lock for the block, or raise UploadLockedError (409) at once.

    PostgreSQL: a session advisory lock, visible to every instance and released by the server if the
    worker dies; no transaction stays open while the body streams. Elsewhere (SQLite, the one-host
    embedded mode): an flock on a file beside the partial. Not waiting keeps a sync worker from hanging
    behind another worker's long transfer; the client retries after a HEAD.
    """
    if connection.vendor == "postgresql":
        key = int.from_bytes(upload_id.bytes[:8], "big", signed=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            if not cursor.fetchone()[0]:
                raise UploadLockedError()
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
        return
    with open(_lock_path(upload_id), "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UploadLockedError() from None
        yield


def _lock_path(upload_id: uuid.UUID) -> Path:
    return partial_dir() / f"{upload_id}.lock"
