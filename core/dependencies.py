"""The exceptions that mean a backing service is unreachable (not a bug): the error handling answers them
with 503 instead of 500. The cache's are core.cache.CACHE_ERRORS, the one list of them."""

from django.db import InterfaceError, OperationalError
from psycopg_pool import PoolTimeout

from core.cache import CACHE_ERRORS

DEPENDENCY_ERRORS: tuple[type[BaseException], ...] = (OperationalError, InterfaceError, PoolTimeout, *CACHE_ERRORS)
