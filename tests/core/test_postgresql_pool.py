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


def test_check_if_idle__handed_out_again_within_the_window__no_round_trip(checks, settings, monkeypatch):
    settings.DB_POOL_CHECK_IDLE = 1
    clock = iter([100.0, 100.5])
    monkeypatch.setattr(base, "monotonic", lambda: next(clock))
    conn = _Connection()

    base.check_if_idle(conn)
    base.check_if_idle(conn)

    assert checks == [conn]  # the first hand-out is tested, the second is not


def test_check_if_idle__idle_longer_than_the_window__tested_again(checks, settings, monkeypatch):
    settings.DB_POOL_CHECK_IDLE = 1
    clock = iter([100.0, 101.5])
    monkeypatch.setattr(base, "monotonic", lambda: next(clock))
    conn = _Connection()

    base.check_if_idle(conn)
    base.check_if_idle(conn)

    assert checks == [conn, conn]


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
