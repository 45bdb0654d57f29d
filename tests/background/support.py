"""Real processes for the worker tests: an SMTP server that can stall, and celery worker / beat.

`StallableSMTP` is aiosmtpd behind the tests' TCP proxy: while stalled, the proxy accepts connections and
never says a word (an SMTP server that hangs); once answering, connections go through to aiosmtpd.
aiosmtpd itself always greets at once, and a stall is what the tests are about.
"""

from __future__ import annotations

import email
import email.policy
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import urlsplit

from aiosmtpd.controller import Controller
from django.conf import settings

from tests.support.servers import ROOT, free_port, server_env
from tests.support.tcp_proxy import TCPProxy


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd's handler hook
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


class StallableSMTP:
    """aiosmtpd behind the tests' TCP proxy, which can stall it (accept, never greet)."""

    def __init__(self) -> None:
        self.inbox = _Inbox()
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=free_port())
        self._front = TCPProxy("127.0.0.1", self._controller.port)

    @property
    def port(self) -> int:
        return self._front.port

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        return self.inbox.messages

    def start(self) -> None:
        self._controller.start()
        self._front.open()

    def stop(self) -> None:
        self._front.close()
        self._controller.stop()

    def stall(self) -> None:
        self._front.stall()

    def answer(self) -> None:
        self._front.answer()


@contextmanager
def smtp_server() -> Iterator[StallableSMTP]:
    server = StallableSMTP()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def broker_env(var_dir: Path) -> dict[str, str]:
    """A broker of this test's own: a queue with a unique name on Redis db 10 (never the cache's db, which
    the suite flushes), or, in the embedded mode, the filesystem transport under this test's VAR_DIR."""
    env = {"VAR_DIR": str(var_dir), "CELERY_QUEUE": f"test-{uuid.uuid4().hex}"}
    if settings.REDIS_URL:
        parts = urlsplit(settings.REDIS_URL)
        env["CELERY_BROKER_URL"] = f"{parts.scheme}://{parts.netloc}/{os.environ.get('TEST_CELERY_BROKER_DB', '10')}"
    return env


def process_env(var_dir: Path, smtp_port: int, **extra: str) -> dict[str, str]:
    return {
        **broker_env(var_dir),
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "EMAIL_TIMEOUT": "2",
        "OUTBOX_RELAY_INTERVAL": "1",
        "THROTTLE_AUTH_RATE": "100000/min",
        "THROTTLE_ANON_RATE": "100000/min",
        **extra,
    }


class Process:
    """A celery process with its output in a file the test reads."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.log = tempfile.NamedTemporaryFile(prefix="celery-", suffix=".log", delete=False)  # noqa: SIM115
        command = [sys.executable, "-m", "celery", "-A", "config", *args]
        self.popen = subprocess.Popen(command, cwd=ROOT, env=server_env(**env), stdout=self.log, stderr=self.log)

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def kill(self) -> None:
        self.popen.kill()
        self.popen.wait()

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()
        with suppress(OSError):
            os.unlink(self.log.name)


@contextmanager
def celery_process(kind: str, env: dict[str, str]) -> Iterator[Process]:
    args = ["worker", "--pool", "solo", "--without-mingle", "--without-gossip"] if kind == "worker" else ["beat"]
    process = Process([*args, "--loglevel", "INFO"], {"LOG_LEVEL": "INFO", **env})
    try:
        yield process
    finally:
        process.stop()


def wait_for(condition: Callable[[], object], timeout: float, what: str, step: float = 0.2) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
