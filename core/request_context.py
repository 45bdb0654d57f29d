"""Per-request context (request id) visible to logging and error rendering without passing it around."""

from __future__ import annotations

import contextvars
import re
import uuid

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


def choose_request_id(client_value: str | None) -> str:
    """The client's X-Request-ID if it is sane (at most 128 of [A-Za-z0-9._-]), else a new UUID."""
    if client_value and _SANE_REQUEST_ID.match(client_value):
        return client_value
    return str(uuid.uuid4())


def set_request_id(value: str | None) -> contextvars.Token:
    return _request_id.set(value)


def reset_request_id(token: contextvars.Token) -> None:
    _request_id.reset(token)


def current_request_id() -> str | None:
    return _request_id.get()
