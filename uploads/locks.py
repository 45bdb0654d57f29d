"""The lock that lets one request at a time write to an upload, across workers and instances.

Design (API.md, second release: "a PATCH that arrives while another instance holds the upload gets 423 or
409"). On PostgreSQL, a session advisory lock keyed by the upload id:
- every instance shares the database, so the lock is global without another service, and the embedded mode
  (SQLite, no Redis) keeps an flock on a local file instead (one host);
- PostgreSQL releases it when the holder's session ends: a killed worker or instance closes its socket, and a
  host gone silent is dropped by TCP keepalives. That is the lock's TTL, with no renewal thread and no TTL to
  tune against the longest PATCH (a Redis lock would need both);
- taking over from a holder that lost its lock but still runs is safe because the lock is not what protects
  the data: every durable change is a compare-and-set on `offset`, which only grows (services._commit), S3 part
  numbers are handed out by the database and never reused, and tail objects get unique names (s3parts). A
  stale holder cannot commit, nor overwrite bytes someone else committed: the offset is its fencing token.
Not waiting for the lock keeps a sync worker from hanging behind another worker's long transfer: the client
gets 409 `upload_locked` and retries after a HEAD.
"""

from __future__ import annotations

import fcntl
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

from core.errors import ConflictError

LOCK_DIR = "uploads-locks"


class UploadLockedError(ConflictError):
    code = "upload_locked"

    def __init__(self) -> None:
        super().__init__("Another request is writing to this upload; retry after it ends (HEAD for the offset).")


@contextmanager
def exclusive(upload_id: uuid.UUID) -> Iterator[None]:
    """Hold the upload's write lock for the block, or raise UploadLockedError (409) at once."""
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
    with open(lock_path(upload_id), "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UploadLockedError() from None
        yield


def lock_path(upload_id: uuid.UUID) -> Path:
    directory = Path(settings.MEDIA_ROOT) / LOCK_DIR
    directory.mkdir(parents=True, exist_ok=True)
    return directory / f"{upload_id}.lock"


def remove_lock_file(upload_id: uuid.UUID) -> None:
    lock_path(upload_id).unlink(missing_ok=True)
