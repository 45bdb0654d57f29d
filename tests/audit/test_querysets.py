import pytest

from audit.models import AuditEvent
from audit.querysets import AuditedQuerySet
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def _users():
    from accounts.models import User

    return AuditedQuerySet(model=User)


def test_update__audited_queryset__records_ids_and_new_values():
    first, second = UserFactory(), UserFactory()

    rows = _users().filter(pk__in=[first.pk, second.pk]).update(display_name="Bulk")

    event = AuditEvent.objects.get(action="model.accounts.user.bulk_updated")
    assert rows == 2
    assert sorted(event.metadata["ids"]) == sorted([str(first.pk), str(second.pk)])
    assert event.changes == {"display_name": [None, "Bulk"]}


def test_update__no_rows__records_nothing():
    assert _users().filter(email="nobody@example.com").update(display_name="x") == 0
    assert not AuditEvent.objects.filter(action__endswith="bulk_updated").exists()


def test_bulk_update__records_one_diff_per_object():
    first, second = UserFactory(display_name="a"), UserFactory(display_name="b")
    first.display_name, second.display_name = "A", "B"

    _users().bulk_update([first, second], ["display_name"])

    events = AuditEvent.objects.filter(action="model.accounts.user.updated").order_by("id")
    assert [e.changes for e in events] == [{"display_name": ["a", "A"]}, {"display_name": ["b", "B"]}]
    assert not AuditEvent.objects.filter(action__endswith="bulk_updated").exists()


def test_delete__each_row__records_deleted_event():
    from django.contrib.auth.models import Group

    first, second = Group.objects.create(name="g1"), Group.objects.create(name="g2")

    AuditedQuerySet(model=Group).filter(pk__in=[first.pk, second.pk]).delete()

    deleted = AuditEvent.objects.filter(action="model.auth.group.deleted")
    assert sorted(e.target_id for e in deleted) == sorted([str(first.pk), str(second.pk)])


def test_bulk_create__records_created_per_object():
    from django.contrib.auth.models import Group

    AuditedQuerySet(model=Group).bulk_create([Group(name="a"), Group(name="b")])

    assert AuditEvent.objects.filter(action="model.auth.group.created").count() == 2


def test_update__only_excluded_bookkeeping_fields__records_nothing():
    from django.utils import timezone

    account = UserFactory()

    assert _users().filter(pk=account.pk).update(last_login=timezone.now()) == 1
    assert not AuditEvent.objects.filter(action__endswith="bulk_updated").exists()
