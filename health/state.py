"""Process state that readiness reports: set when a graceful shutdown begins, so traffic drains first."""

import threading

_shutting_down = threading.Event()


def begin_shutdown() -> None:
    _shutting_down.set()


def is_shutting_down() -> bool:
    return _shutting_down.is_set()
