"""One audit path per write: services record explicitly; the registry covers only the admin's own edits of
users and roles (groups), which have no service."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Group, Permission

from audit.models import AuditEvent
from audit.registry import m2m_diff, model_diff
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_browser(client, admin_user):
    client.force_login(admin_user)
    return client


def _model_events():
    return list(AuditEvent.objects.filter(action__startswith="model.").order_by("id"))


def test_group_admin__permissions_added_and_removed__recorded_on_the_group(admin_browser):
    role = Group.objects.create(name="reviewer")
    first, second = Permission.objects.filter(codename__in=["view_auditevent", "view_auditcheckpoint"])
    role.permissions.add(first)

    response = admin_browser.post(
        f"/admin/auth/group/{role.pk}/change/", {"name": "reviewer", "permissions": [str(second.pk)]}
    )

    assert response.status_code == 302
    (event,) = _model_events()
    assert (event.action, event.target_id) == ("model.auth.group.updated", str(role.pk))
    assert event.changes == {"permissions": {"added": [str(second)], "removed": [str(first)]}}
    assert event.actor_type == "user"


def test_group_admin__created_and_deleted__recorded(admin_browser):
    admin_browser.post("/admin/auth/group/add/", {"name": "reviewer"})
    role = Group.objects.get(name="reviewer")

    admin_browser.post(f"/admin/auth/group/{role.pk}/delete/", {"post": "yes"})

    assert [event.action for event in _model_events()] == ["model.auth.group.created", "model.auth.group.deleted"]
    assert not Group.objects.filter(name="reviewer").exists()


def test_user_admin__display_name_changed__one_model_event_without_password(admin_browser):
    target = UserFactory(display_name="Old", date_joined=datetime(2026, 1, 1, tzinfo=UTC))
    form = {
        "email": target.email,
        "display_name": "New",
        "role": target.role,
        "email_verified": "on",
        "is_active": "on",
        "groups": [str(group.pk) for group in target.groups.all()],
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }

    response = admin_browser.post(f"/admin/accounts/user/{target.pk}/change/", form)

    assert response.status_code == 302, response.content[:2000]
    updates = [event for event in _model_events() if event.action == "model.accounts.user.updated"]
    assert len(updates) == 1, [event.changes for event in updates]
    assert updates[0].changes == {"display_name": ["Old", "New"]}
    assert "password" not in str(updates[0].changes)


def test_plain_save__outside_the_admin__records_nothing():
    account = UserFactory()
    account.display_name = "Renamed"
    account.save()
    Group.objects.create(name="reviewer").permissions.add(Permission.objects.first())

    assert _model_events() == []


def test_entry_patch__one_event_only(editor_client, editor):
    from configurations import services
    from tests.configurations.factories import EnvironmentFactory

    environment = EnvironmentFactory(namespace__slug="billing", slug="production")
    entry = services.entry_create(environment=environment, key="timeout", value=30, value_type="integer", actor=editor)
    before = AuditEvent.objects.count()

    response = editor_client.patch(
        "/api/v1/namespaces/billing/environments/production/entries/timeout/", {"value": 31}, HTTP_IF_MATCH=entry.etag
    )

    assert response.status_code == 200
    assert list(AuditEvent.objects.order_by("id").values_list("action", flat=True)[before:]) == ["config.entry.updated"]


def test_role_change_through_the_api__one_event_only(admin_client_api, user):
    before = AuditEvent.objects.count()

    response = admin_client_api.patch(f"/api/v1/users/{user.pk}/", {"role": "editor"})

    assert response.status_code == 200
    assert list(AuditEvent.objects.order_by("id").values_list("action", flat=True)[before:]) == ["user.role.changed"]


def test_model_diff__excluded_field__left_out():
    old = UserFactory.build(display_name="x", last_login=None)
    new = UserFactory.build(id=old.id, email=old.email, date_joined=old.date_joined, display_name="y")
    new.set_password("another-Pa55word")

    assert model_diff(old, new) == {"display_name": ["x", "y"]}


def test_model_diff__no_instance__value_error():
    with pytest.raises(ValueError):
        model_diff(None, None)


def test_m2m_diff__unchanged_field__left_out():
    assert m2m_diff({"groups": {"a"}, "permissions": {"x"}}, {"groups": {"a"}, "permissions": {"y"}}) == {
        "permissions": {"added": ["y"], "removed": ["x"]}
    }
