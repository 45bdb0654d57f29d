import datetime as dt
import decimal
import uuid

import pytest

from audit.chain import HASHED_FIELDS, compute_hash, normalize_ip, normalize_json


def test_normalize_json__floats_dates_uuids_nul__round_trip_stable_types():
    ident = uuid.UUID(int=1)
    value = {
        "f": 2.0,
        "big": 1e20,
        "half": 0.5,
        "nan": float("nan"),
        "when": dt.date(2026, 1, 2),
        "id": ident,
        "dec": decimal.Decimal("1.5"),
        "s": "a\x00b",
        "nested": [{"x": 3.0}],
    }

    assert normalize_json(value) == {
        "f": 2,
        "big": 10**20,
        "half": 0.5,
        "nan": "nan",
        "when": "2026-01-02",
        "id": str(ident),
        "dec": "1.5",
        "s": "ab",
        "nested": [{"x": 3}],
    }


def test_normalize_json__none__stays_none():
    assert normalize_json(None) is None


def test_normalize_ip__invalid_or_empty__none():
    assert normalize_ip("not-an-ip") is None
    assert normalize_ip("") is None


def _fields(**overrides):
    fields = {
        "id": 1,
        "seq": 1,
        "timestamp": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        "actor": "",
        "actor_type": "system",
        "action": "a.b",
        "target_type": "",
        "target_id": "",
        "ip": None,
        "user_agent": "",
        "request_id": "",
        "changes": None,
        "metadata": {},
        "prev_hash": "",
    }
    return {**fields, **overrides}


def test_compute_hash__any_field_changed__different_hash():
    base = compute_hash(_fields())
    assert compute_hash(_fields(prev_hash="0" * 64)) != base
    assert compute_hash(_fields(metadata={"k": 1})) != base
    assert compute_hash(_fields(id=2)) != base


def test_compute_hash__timestamp_as_datetime_or_canonical_text__same_hash():
    assert compute_hash(_fields()) == compute_hash(_fields(timestamp="2026-01-01T00:00:00.000000Z"))


@pytest.mark.django_db
def test_canonical_text__tricky_values__same_as_postgresql_prints(rf_tricky_event):
    from django.db import connection

    from audit.chain import CANONICAL_SQL, canonical_text
    from audit.models import AuditEvent

    if connection.vendor != "postgresql":
        pytest.skip("compares with PostgreSQL's jsonb output")
    event = rf_tricky_event
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {CANONICAL_SQL} FROM audit_auditevent WHERE id = %s", [event.id])  # noqa: S608
        printed = cursor.fetchone()[0]

    stored = AuditEvent.objects.values(*HASHED_FIELDS).get(pk=event.id)
    assert canonical_text(stored) == printed


@pytest.fixture
def rf_tricky_event():
    from audit.services import record

    tricky = {
        "zz": 1,
        "a": [0.1, 1.5e-07, -2.5, 10**20, True, None],
        "é✓": 'tab\tquote"back\\slash\x01/\x7f',
        "bb": {"nested": {"k": "v"}, "": []},
        "yy": "unicode ☃ 𝄞",
    }
    return record("test.tricky.values", changes=tricky, metadata={"emoji": "🙂", "ctrl": "\x1f"})
