"""Fixtures of the background tests: a test outbox kind whose sender a test scripts."""

from __future__ import annotations

import pytest

from background import outbox
from background.policy import RetryPolicy


class ScriptedSender:
    """Sends by appending the message id; raises the next queued exception instead, if any."""

    def __init__(self) -> None:
        self.sent: list[int] = []
        self.failures: list[Exception] = []
        self.results: list[tuple[int, str]] = []
        self.during_send = None  # a callable run inside the try (another worker's doing)

    def send(self, message) -> None:
        if self.during_send is not None:
            self.during_send(message)
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message.pk)

    def on_result(self, message) -> None:
        self.results.append((message.pk, message.status))


@pytest.fixture
def scripted(monkeypatch) -> ScriptedSender:
    sender = ScriptedSender()
    monkeypatch.setitem(outbox._SENDERS, "test", outbox.Sender("test", sender.send, RetryPolicy(), sender.on_result))
    return sender
