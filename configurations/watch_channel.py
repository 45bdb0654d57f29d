"""The channel on which writers announce changes to the watch hubs of every instance (configurations.watch)."""

from __future__ import annotations

import logging
from urllib.parse import urlparse

from django.conf import settings
from django_redis import get_redis_connection

from core import cache

logger = logging.getLogger("configurations.watch")


def channel() -> str:
    """Pub/sub channels span all Redis databases: name the database and key prefix in it."""
    database = (urlparse(settings.REDIS_URL).path or "/0").lstrip("/") or "0"
    return f"{database}:{settings.CACHES['default'].get('KEY_PREFIX', '')}:cfg:watch"


def publish(namespace: str, environment: str) -> None:
    """Tell every instance's watchers that the environment changed (after the write's commit)."""
    if not settings.REDIS_URL:
        return  # the hubs poll the marker instead
    try:
        get_redis_connection("default").publish(channel(), f"{namespace}:{environment}")
    except cache.CACHE_ERRORS as exc:
        logger.warning("watch publish failed (watchers see the change within a second): %s", type(exc).__name__)
