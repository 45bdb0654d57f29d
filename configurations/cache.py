"""The cache as an optimisation only: when it is down, callers fall back to the database.

django-redis raises ConnectionInterrupted (or redis errors) when Redis is unreachable; a read then
counts as a miss and a write is skipped, logged, never a 500.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache import cache
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError

logger = logging.getLogger("configurations.cache")

CACHE_ERRORS: tuple[type[BaseException], ...] = (ConnectionInterrupted, RedisError, OSError)


def get_many(keys: list[str]) -> dict[str, Any]:
    try:
        return cache.get_many(keys)
    except CACHE_ERRORS as exc:
        logger.warning("cache read failed, using the database: %s", type(exc).__name__)
        return {}


def set_value(key: str, value: Any, timeout: int) -> None:
    try:
        cache.set(key, value, timeout)
    except CACHE_ERRORS as exc:
        logger.warning("cache write failed: %s", type(exc).__name__)


def add_value(key: str, value: Any, timeout: int) -> bool:
    """Set `key` only if it is absent; False when it was there (or the cache is down)."""
    try:
        return bool(cache.add(key, value, timeout))
    except CACHE_ERRORS as exc:
        logger.warning("cache write failed: %s", type(exc).__name__)
        return False


def delete_many(keys: list[str]) -> None:
    try:
        cache.delete_many(keys)
    except CACHE_ERRORS as exc:
        logger.warning("cache delete failed: %s", type(exc).__name__)
