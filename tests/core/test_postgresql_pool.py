"""core.postgresql: the pool tests a connection only when it has sat idle."""

from __future__ import annotations

import pytest
from django.db import connection
from psycopg_pool import ConnectionPool

from core.postgresql import base


class _Connection:
    """Stands for a psycopg connection: weak-referenceable, nothing else is used."""


@pytest.fixture
def checks(monkeypatch):
    calls = []
    monkeypatch.setattr(ConnectionPool, "check_connection", staticmethod(calls.append))
    return calls


@pytest.mark.parametrize(
    ("second_hand_out", "tested"),
    [
        (100.5, 1),  # handed out again within the window: no round trip the second time
        (101.5, 2),  # idle longer than the window: tested again
    ],
)
def test_check_if_idle__tested_only_after_the_idle_window(checks, settings, monkeypatch, second_hand_out, tested):
    settings.DB_POOL_CHECK_IDLE = 1
    clock = iter([100.0, second_hand_out])
    monkeypatch.setattr(base, "monotonic", lambda: next(clock))
    conn = _Connection()

    base.check_if_idle(conn)
    base.check_if_idle(conn)

    assert checks == [conn] * tested


def test_check_if_idle__broken_connection__raises_so_the_pool_replaces_it(settings, monkeypatch):
    def broken(conn):
        raise OSError("server closed the connection")

    monkeypatch.setattr(ConnectionPool, "check_connection", staticmethod(broken))

    with pytest.raises(OSError, match="server closed"):
        base.check_if_idle(_Connection())


@pytest.mark.django_db
def test_postgresql_pool__uses_the_idle_check():
    if connection.vendor != "postgresql":
        pytest.skip("the pool is PostgreSQL's")
    assert connection.pool._check is base.check_if_idle
