import pytest
from django.db import DatabaseError, connection, transaction

from audit.errors import AuditImmutableError
from audit.models import AuditEvent
from audit.services import record

pytestmark = pytest.mark.django_db


def test_save__existing_event__raises():
    event = record("test.event.recorded")
    event.action = "test.event.forged"
    with pytest.raises(AuditImmutableError):
        event.save()


def test_delete__existing_event__raises():
    with pytest.raises(AuditImmutableError):
        record("test.event.recorded").delete()


def test_queryset_update_and_delete__refused():
    record("test.event.recorded")
    with pytest.raises(AuditImmutableError):
        AuditEvent.objects.update(action="test.event.forged")
    with pytest.raises(AuditImmutableError):
        AuditEvent.objects.all().delete()


def test_str__names_action_and_id():
    event = record("test.event.recorded")
    assert str(event) == f"test.event.recorded #{event.id}"


@pytest.mark.postgres_only
@pytest.mark.parametrize("statement", ["UPDATE audit_auditevent SET action = 'x.y'", "DELETE FROM audit_auditevent"])
def test_trigger__raw_update_or_delete__refused_on_postgresql(statement):
    if connection.vendor != "postgresql":
        pytest.skip("the immutability trigger exists on PostgreSQL only")
    record("test.event.recorded")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert AuditEvent.objects.filter(action="test.event.recorded").exists()
