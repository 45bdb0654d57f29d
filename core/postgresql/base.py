"""Django's PostgreSQL backend with a pool that tests a connection only when it has been idle.

Django's `CONN_HEALTH_CHECKS` with a pool makes psycopg_pool test every connection it hands out: one
extra round trip on every request, which on a busy host costs as much as the request's own query. A
connection that served a request moments ago is almost always still good, and if the server went away
since, that one request fails as a 503 (core.middleware) and the pool discards the broken connection
when it is returned. So only a connection idle for longer than `DB_POOL_CHECK_IDLE` seconds (default
1) is tested: after a database restart every surviving connection has been idle, and is replaced
before a request sees it. Django offers no way to pass the pool its own `check` (it sets the argument
itself), so the wrapper swaps it in when the pool is created.
"""

from __future__ import annotations

import weakref
from time import monotonic
from typing import Any

from django.conf import settings
from django.db.backends.postgresql import base

_last_handed_out: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()


def check_if_idle(connection: Any) -> None:
    """psycopg_pool's `check`: a round trip only for a connection not handed out within the idle window."""
    from psycopg_pool import ConnectionPool

    now = monotonic()
    last = _last_handed_out.get(connection)
    if last is None or now - last > settings.DB_POOL_CHECK_IDLE:
        ConnectionPool.check_connection(connection)  # raises for a broken one: the pool replaces it
    _last_handed_out[connection] = now


class DatabaseWrapper(base.DatabaseWrapper):
    @property
    def pool(self):
        pool = super().pool
        if pool is not None and pool._check is not check_if_idle and self.settings_dict["CONN_HEALTH_CHECKS"]:
            pool._check = check_if_idle
        return pool
