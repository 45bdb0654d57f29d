"""The one loopback TCP proxy of the tests: a test can cut, stall or restore a real dependency through it.

- `close()` stops listening and severs every open connection, so the port refuses connections exactly as if
  the server were down (PostgreSQL, Redis); `open()` listens again on the same port (a no-op while open).
- `stall()` keeps accepting connections but never forwards a byte (a server that hangs); `answer()` drops
  the held ones and forwards again.
- `cut_after=N` severs everything once N bytes went from the clients to the target (a network failure in the
  middle of a request body); `cut` is set when it happened.

Hand-written: a fault-injection proxy such as toxiproxy is a separate Go daemon, and socat can neither
stall nor cut mid-body; this needs some sixty lines of sockets and threads.
"""

from __future__ import annotations

import socket
import threading
from contextlib import suppress


class TCPProxy:
    def __init__(self, target_host: str, target_port: int, *, cut_after: int | None = None):
        self.target = (target_host, target_port)
        self.port = 0
        self.cut_after = cut_after
        self.forwarded = 0
        self.cut = threading.Event()
        self.stalled = threading.Event()
        self._listener: socket.socket | None = None
        self._connections: list[socket.socket] = []
        self._held: list[socket.socket] = []
        self._lock = threading.Lock()

    def __enter__(self) -> TCPProxy:
        self.open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def open(self) -> None:
        if self._listener is not None:
            return  # already listening
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def close(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        self._sever("_connections")
        self._sever("_held")

    def stall(self) -> None:
        self.stalled.set()

    def answer(self) -> None:
        self.stalled.clear()
        self._sever("_held")

    def _sever(self, name: str) -> None:
        with self._lock:
            connections = getattr(self, name)
            setattr(self, name, [])
        for connection in connections:
            with suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed
            if self.stalled.is_set():
                with self._lock:
                    self._held.append(client)  # accepted, never answered
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._connections += [client, upstream]
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, from_client: bool) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                if from_client and self.cut_after is not None:
                    with self._lock:
                        allowed = max(self.cut_after - self.forwarded, 0)
                        self.forwarded += min(len(data), allowed)
                    if allowed <= len(data):
                        sink.sendall(data[:allowed])
                        self.cut.set()
                        self.close()
                        return
                sink.sendall(data)
        for sock in (source, sink):
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
