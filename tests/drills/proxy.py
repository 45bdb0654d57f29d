"""A TCP proxy the drill controls, between gunicorn and a shared service (PostgreSQL, Redis).

The shared servers are used by everyone on the machine, so an outage is made by cutting this proxy,
never by stopping them. socat does the forwarding (one child per connection); `cut()` kills its whole
process group, which drops every open connection at once and refuses new ones, like a dead host whose
port answers RST; `restore()` listens on the same port again.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time

import pytest

from tests.support.servers import free_port


def require_socat() -> str:
    path = shutil.which("socat")
    if path is None:
        pytest.skip("socat is not installed (apt-get install -y socat): the fault drills need a TCP proxy")
    return path


class TcpProxy:
    def __init__(self, target_host: str, target_port: int):
        self.socat = require_socat()
        self.target = f"{target_host}:{target_port}"
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> TcpProxy:
        self.restore()
        return self

    def __exit__(self, *exc_info) -> None:
        self.cut()

    def restore(self) -> None:
        self.cut()  # idempotent: a second restore must not leave the first socat running, orphaned
        self.process = subprocess.Popen(
            [self.socat, f"TCP-LISTEN:{self.port},bind=127.0.0.1,fork,reuseaddr", f"TCP:{self.target}"],
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("socat did not start listening")

    def cut(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):  # the group we created: socat and its children
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.process = None
