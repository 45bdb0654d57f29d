"""The one cache layer: which errors mean "the cache is down", and what that outage means to the caller.

Two semantics, chosen by what the caller keeps on the cache:
- `cache_optional(purpose)`: the cache is an optimisation (resolved documents, API-key validity, the
  cached principal, throttle counters). An outage is logged and the block is abandoned; the caller falls
  back to the database (a read counts as a miss, a write is skipped). Never a 500.
- `cache_required(purpose)`: the cache holds security state only it knows (session revocations, lockout
  counters, the permissions version). An outage is a 503 problem with Retry-After, raised inside the
  caller's transaction so nothing half-done is kept: fail closed.

The helpers below are `cache_optional` around one call each, for the common shapes; then the markers of
reads remembered by marker (`storable_marker`, `replace_marker_on_commit`) and the prefetch hook of views.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import redis.exceptions
from django.core.cache import cache
from django.db import InterfaceError, OperationalError, transaction
from django_redis.exceptions import ConnectionInterrupted

from core.errors import ServiceUnavailableError

logger = logging.getLogger("core.cache")

RETRY_AFTER_SECONDS = 30

# What a cache outage raises: django-redis wraps redis-py's errors in ConnectionInterrupted, some paths
# raise redis-py's (or the socket's) bare, and the embedded mode's database cache raises the database's.
CACHE_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionInterrupted,
    redis.exceptions.RedisError,
    ConnectionError,
    TimeoutError,
    OperationalError,
    InterfaceError,
)


@contextmanager
def cache_optional(purpose: str) -> Iterator[None]:
    """Abandon the block, logged, when the cache is unreachable; the caller's defaults stand."""
    try:
        yield
    except CACHE_ERRORS as exc:
        logger.warning("cache unavailable for %s (%s); carrying on without it", purpose, type(exc).__name__)


@contextmanager
def cache_required(purpose: str) -> Iterator[None]:
    """Fail closed: 503 (Retry-After) when the cache cannot be reached, rather than skip a lockout check
    or lose a revocation."""
    try:
        yield
    except CACHE_ERRORS as exc:
        logger.warning("cache unavailable for %s (%s): refused", purpose, type(exc).__name__)
        raise ServiceUnavailableError(
            "A dependency is unavailable; try again shortly.",
            code="cache_unavailable",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        ) from exc


def get_many(keys: Iterable[str], purpose: str = "a read") -> dict[str, Any]:
    values: dict[str, Any] = {}
    with cache_optional(purpose):
        values = cache.get_many(list(keys))
    return values


def set_value(key: str, value: Any, timeout: int | None, purpose: str = "a write") -> None:
    with cache_optional(purpose):
        cache.set(key, value, timeout)


def add_value(key: str, value: Any, timeout: int | None, purpose: str = "a write") -> bool:
    """Set `key` only if it is absent; False when it was there (or the cache is down)."""
    added = False
    with cache_optional(purpose):
        added = bool(cache.add(key, value, timeout))
    return added


def delete_many(keys: Iterable[str], purpose: str = "an invalidation") -> None:
    with cache_optional(purpose):
        cache.delete_many(list(keys))


def new_marker() -> str:
    return secrets.token_hex(8)


def storable_marker(key: str, values: dict[str, Any], timeout: int) -> str:
    """The marker (a nonce at `key`) to remember what is read from the database next under: the one in `values`
    (read from the cache *before* the database), else a new one set with ADD, never overwriting a writer's;
    "" (remember nothing) when another process set one first or the cache is down. Every writer replaces the
    marker after its commit (`replace_marker_on_commit`), so whatever was read under an older marker is never
    served again; `timeout` bounds how long a marker a writer failed to replace (cache down) lives."""
    marker = values.get(key)
    if marker is None:
        marker = new_marker()
        if not add_value(key, marker, timeout, "a marker"):
            marker = ""
    return marker


def replace_marker_on_commit(key: str, timeout: int, also: Callable[[], None] | None = None) -> None:
    """After the current transaction commits (at once outside one), a new nonce at `key`; `also`, a callable,
    runs first (e.g. forgetting this process's own copy, which then holds even when the cache is down)."""

    def publish() -> None:
        if also is not None:
            also()
        set_value(key, new_marker(), timeout, "a marker")

    transaction.on_commit(publish)


def view_prefetch_keys(request: Any, *, api_key: bool, user_id: str = "") -> list[str]:
    """The cache keys the request's view is about to read (its `prefetch_cache_keys(kwargs, api_key=...)`):
    the authentication reads them in its own round trip and hands them over as `request.prefetched_cache`.

    `user_id` is the user the credential names (a Bearer token's verified claim): `request.user` is not set
    while the authentication runs, so a hook whose keys are per user reads it as `request.credential_user_id`.
    """
    if user_id:
        request.credential_user_id = user_id
    context = getattr(request, "parser_context", None) or {}
    hook = getattr(context.get("view"), "prefetch_cache_keys", None)
    return hook(context.get("kwargs") or {}, api_key=api_key) if hook is not None else []
