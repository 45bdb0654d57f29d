"""Streaming a request body into an upload's store, one bounded read at a time, nothing held whole.

The stores (uploads.partials on the local disk, uploads.s3parts on S3) differ in where bytes become durable;
this loop is what they share: bounded reads, the transfer checksum, the content hash fed only with bytes the
store took, and a commit each time the store says the bytes so far are durable.
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from uploads.hashing import ResumableHasher

READ_SIZE = 1024 * 1024


@dataclass(frozen=True)
class Appended:
    received: int  # bytes taken at the offset (all durable once `flush` returned)
    interrupted: bool  # the body ended before its declared length (client gone, connection cut)
    disk_full: bool = False  # the storage ran out of space; `received` are the bytes written before


class Sink(Protocol):
    """Where one request's bytes go. `write` returns True when everything written so far is durable."""

    def room(self) -> int: ...

    def write(self, data: bytes) -> bool: ...

    def flush(self, *, last: bool) -> dict[str, Any]: ...

    def state(self) -> dict[str, Any]: ...

    def discard(self) -> None: ...

    def committed(self) -> None: ...

    def close(self) -> None: ...


def receive(
    sink: Sink,
    *,
    read: Callable[[int], bytes],
    limit: int,
    expected: int | None,
    hasher: ResumableHasher,
    check: Any = None,
    on_durable: Callable[[int], None] | None = None,
) -> Appended:
    """Copy at most `limit` bytes from `read` into `sink`, then flush it.

    `expected` is the declared body length (None for a chunked body, which ends at EOF). A read error or an
    early EOF means the client went away: what arrived is kept and reported as interrupted; a full disk stops
    the copy the same way (disk_full). `check` (a transfer checksum's hasher) sees every byte read;
    `on_durable(received)` is called whenever the sink made the bytes so far durable (not with `check`: then
    nothing may count before the whole body is verified).
    """
    received, interrupted, disk_full = 0, False, False
    while received < limit:
        try:
            chunk = read(min(READ_SIZE, limit - received, sink.room()))
        except OSError:  # Django's UnreadablePostError, gunicorn's NoMoreData: the client is gone
            interrupted = True
            break
        if not chunk:
            interrupted = expected is not None and received < expected
            break
        if check is not None:
            check.update(chunk)
        try:
            durable = sink.write(chunk)
        except OSError as error:
            if error.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            disk_full = True
            break
        hasher.update(chunk)
        received += len(chunk)
        if durable and on_durable is not None and check is None:
            on_durable(received)
    return Appended(received, interrupted, disk_full)
