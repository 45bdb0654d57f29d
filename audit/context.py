"""The request being served, for events recorded without an explicit `request`.

Set by `audit.middleware.AuditRequestMiddleware`; read lazily at record time, so the actor is whoever DRF
authenticated by then (DRF copies its authenticated user and auth onto the Django request). This is why
auditlog's own middleware is not used: it captures `request.user` before DRF has seen a JWT or an API key,
and it trusts the client's first X-Forwarded-For entry.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any

_current_request: contextvars.ContextVar[Any] = contextvars.ContextVar("audit_request", default=None)


def current_request() -> Any:
    return _current_request.get()


@contextlib.contextmanager
def serving(request: Any) -> Iterator[None]:
    token = _current_request.set(request)
    try:
        yield
    finally:
        _current_request.reset(token)
