import pytest
from django.contrib.auth.models import Group, Permission

from audit.models import AuditEvent
from audit.redaction import MASK
from audit.registry import Tracked, model_diff, register_tracked_models

pytestmark = pytest.mark.django_db


def _group_events():
    return list(AuditEvent.objects.filter(action="model.auth.group.updated").order_by("id"))


def test_role_permissions__added_and_removed__recorded_on_the_group():
    role = Group.objects.create(name="reviewer")
    permission = Permission.objects.get(codename="view_auditevent")

    role.permissions.add(permission)
    role.permissions.remove(permission)

    changes = [event.changes for event in _group_events()]
    assert changes == [{"permissions": {"added": [str(permission)]}}, {"permissions": {"removed": [str(permission)]}}]


def test_role_permissions__cleared__recorded_with_what_was_removed():
    role = Group.objects.create(name="reviewer")
    role.permissions.add(*Permission.objects.filter(codename__in=["view_auditevent", "view_auditcheckpoint"]))

    role.permissions.clear()

    assert len(_group_events()[-1].changes["permissions"]["removed"]) == 2


def test_role_permissions__added_from_the_permission_side__recorded_on_each_group():
    role = Group.objects.create(name="reviewer")
    Permission.objects.get(codename="view_auditevent").group_set.add(role)

    assert _group_events()[-1].target_id == str(role.pk)


def test_model_diff__masked_when_predicate__masks_both_sides():
    from configurations.models import Entry

    old, new = Entry(key="K", value="a", secret=True), Entry(key="K", value="b", secret=True)

    assert model_diff(old, new)["value"] == [MASK, MASK]


def test_model_diff__no_instance__value_error():
    with pytest.raises(ValueError):
        model_diff(None, None)


def test_register_tracked_models__unknown_label__skipped(monkeypatch):
    monkeypatch.setitem(__import__("audit.registry").registry.TRACKED, "nosuchapp.model", Tracked())

    assert "nosuchapp.model" not in register_tracked_models()
    assert "accounts.user" in register_tracked_models()


def test_raw_save__fixture_loading__not_recorded():
    from django.core import serializers

    payload = '[{"model": "auth.group", "pk": 900, "fields": {"name": "loaded", "permissions": []}}]'
    for obj in serializers.deserialize("json", payload):
        obj.save()

    assert Group.objects.filter(name="loaded").exists()
    assert not AuditEvent.objects.filter(action="model.auth.group.created").exists()
