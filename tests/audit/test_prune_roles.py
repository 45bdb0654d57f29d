"""Pruning is impossible for a role that merely sets the GUC: only the tables' owner, through the audited
function, may delete events (issue 12.14; migration audit 0004)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import DatabaseError, connection, transaction

from audit.models import AuditCheckpoint, AuditEvent
from audit.services import events_prune
from audit.verification import chain_verify
from tests.audit.factories import make_events

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_only]


@pytest.fixture
def runtime_role():
    """A role like the application's in a split deployment: reads and writes rows, owns no table. Created
    inside the test's transaction, so it is gone with its rollback."""
    if connection.vendor != "postgresql":
        pytest.skip("roles and the immutability trigger exist on PostgreSQL only")
    name = f"audit_runtime_{uuid.uuid4().hex[:12]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {name} NOLOGIN")
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON audit_auditevent, audit_auditcheckpoint TO {name}")
    return name


def _as(role: str, *statements: str) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {role}")
        for statement in statements:
            cursor.execute(statement)


def test_delete__role_that_sets_the_pruning_guc__refused(runtime_role):
    make_events(3)

    with pytest.raises(DatabaseError, match="append-only"):
        _as(runtime_role, "SELECT set_config('audit.pruning', 'on', true)", "DELETE FROM audit_auditevent")

    assert AuditEvent.objects.count() == 3


def test_prune_function__not_executable_by_a_role_that_does_not_own_the_tables(runtime_role):
    make_events(2)

    with pytest.raises(DatabaseError, match="permission denied"):
        _as(runtime_role, "SELECT * FROM audit_prune_before(now() + interval '1 day')")

    assert AuditEvent.objects.count() == 2


def test_events_prune__owner__deletes_leaves_checkpoint_and_chain_verifies():
    if connection.vendor != "postgresql":
        pytest.skip("the SQL function exists on PostgreSQL only")
    make_events(4)

    checkpoint = events_prune(before=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1))

    assert checkpoint is not None and checkpoint.pruned_count == 4
    assert AuditCheckpoint.objects.get() == checkpoint
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["audit.pruned"]
    assert chain_verify().ok
