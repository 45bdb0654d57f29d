"""A loopback TCP proxy that cuts every connection once a number of request bytes went through.

It stands for a network failure in the middle of an upload: the client sees its connection die, the server
sees the request body end early. Written here because no test library simulates a mid-body cut over TCP.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress


class CuttingProxy:
    def __init__(self, upstream_port: int, cut_after: int):
        self.upstream_port = upstream_port
        self.cut_after = cut_after
        self.forwarded = 0
        self.cut = threading.Event()
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]

    def serve(self) -> None:
        while not self.cut.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, counted: bool) -> None:
        with suppress(OSError):
            while not self.cut.is_set():
                data = source.recv(65536)
                if not data:
                    break
                if counted:
                    with self._lock:
                        allowed = self.cut_after - self.forwarded
                        self.forwarded += min(len(data), max(allowed, 0))
                    if allowed <= len(data):
                        target.sendall(data[: max(allowed, 0)])
                        self.cut.set()
                        break
                target.sendall(data)
        for sock in (source, target):
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def close(self) -> None:
        self.cut.set()
        self._listener.close()


@contextmanager
def cutting_proxy(upstream_port: int, cut_after: int) -> Iterator[CuttingProxy]:
    """Yield a started proxy to 127.0.0.1:`upstream_port` that cuts after `cut_after` client bytes."""
    proxy = CuttingProxy(upstream_port, cut_after)
    thread = threading.Thread(target=proxy.serve, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy.close()
        thread.join(timeout=5)
