"""The one cache layer: which errors mean "the cache is down", and what that outage means to the caller.

Two semantics, chosen by what the caller keeps on the cache:
- `cache_optional(purpose)`: the cache is an optimisation (resolved documents, API-key validity, the
  cached principal, throttle counters). An outage is logged and the block is abandoned; the caller falls
  back to the database (a read counts as a miss, a write is skipped). Never a 500.
- `cache_required(purpose)`: the cache holds security state only it knows (session revocations, lockout
  counters, the permissions version). An outage is a 503 problem with Retry-After, raised inside the
  caller's transaction so nothing half-done is kept: fail closed.

The helpers below are `cache_optional` around one call each, for the common shapes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import redis.exceptions
from django.core.cache import cache
from django.db import InterfaceError, OperationalError
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


def view_prefetch_keys(request: Any, *, api_key: bool) -> list[str]:
    """The cache keys the request's view is about to read (its `prefetch_cache_keys(kwargs, api_key=...)`):
    the authentication reads them in its own round trip and hands them over as `request.prefetched_cache`."""
    context = getattr(request, "parser_context", None) or {}
    hook = getattr(context.get("view"), "prefetch_cache_keys", None)
    return hook(context.get("kwargs") or {}, api_key=api_key) if hook is not None else []
