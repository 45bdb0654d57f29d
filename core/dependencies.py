"""The exceptions that mean a backing service is unreachable (not a bug): shared by the error handling
(503 instead of 500) and by code that may degrade instead of failing (throttling)."""

import redis
from django.db import InterfaceError, OperationalError
from django_redis.exceptions import ConnectionInterrupted
from psycopg_pool import PoolTimeout

# django-redis wraps redis-py's connection errors in ConnectionInterrupted; some paths raise them bare.
CACHE_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionInterrupted,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)
DEPENDENCY_ERRORS: tuple[type[BaseException], ...] = (OperationalError, InterfaceError, PoolTimeout, *CACHE_ERRORS)
