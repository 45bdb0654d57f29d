"""gunicorn's gevent worker with a zero-copy, cooperative `socket.sendfile`.

gevent replaces `socket.sendfile` with a read()/send() copy loop (os.sendfile blocks, it says) that also
needs the file object to have `seek()`. Byte endpoints hand gunicorn a range reader positioned on a local
file (downloads.serving), so that loop would copy every byte through Python and fail on a range. No
library offers the cooperative version, so it is written here: os.sendfile on the non-blocking socket,
parking the greenlet on the socket's write readiness whenever the kernel buffer is full.
"""

from __future__ import annotations

import io
import os
from typing import Any

from gunicorn.workers.ggevent import GeventWorker as _GeventWorker

_BLOCK = 1 << 30  # bytes per os.sendfile call; the kernel sends what fits and says how much


def cooperative_sendfile(self: Any, file: Any, offset: int = 0, count: int | None = None) -> int:
    """socket.sendfile's contract (bytes sent from `offset`, at most `count`) with os.sendfile."""
    from gevent.socket import wait_write

    try:
        file_fd = file.fileno()
    except (AttributeError, io.UnsupportedOperation, OSError):
        return self._sendfile_use_send(file, offset, count)
    sock_fd = self.fileno()
    timeout = self.gettimeout()
    sent_total = 0
    while count is None or sent_total < count:
        size = _BLOCK if count is None else min(count - sent_total, _BLOCK)
        try:
            sent = os.sendfile(sock_fd, file_fd, offset + sent_total, size)
        except BlockingIOError:
            wait_write(sock_fd, timeout=timeout)
            continue
        if sent == 0:
            break  # end of file
        sent_total += sent
    return sent_total


class GeventWorker(_GeventWorker):
    def patch(self) -> None:
        super().patch()
        from gevent import socket as gevent_socket

        gevent_socket.socket.sendfile = cooperative_sendfile
