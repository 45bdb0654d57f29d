"""The cached principal: no user row in the cache, and privilege changes take effect on the next request."""

from __future__ import annotations

import jwt
import pytest
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db import transaction

from accounts.roles import Role
from accounts.services import user_set_active, user_set_role
from core.errors import ConflictError
from tests.accounts.factories import UserFactory
from tests.downloads.factories import make_file
from tests.support.auth import ME_URL, login

pytestmark = pytest.mark.django_db

FILES_URL = "/api/v1/files/"


def _session_key(access: str) -> str:
    return f"accounts:session:{jwt.decode(access, options={'verify_signature': False})['sid']}"


def _visible_files(session_login) -> int:
    response = session_login.client().get(FILES_URL)
    assert response.status_code == 200
    return response.json()["count"]


@pytest.fixture
def demotable_admin(db):
    UserFactory(role=Role.ADMIN)  # so this one is not the last administrator
    return UserFactory(role=Role.ADMIN)


def test_session_cache__after_a_request__holds_no_password_hash_email_or_row(user, session_login):
    assert session_login.client().get(ME_URL).status_code == 200

    cached = cache.get(_session_key(session_login.access))

    assert isinstance(cached, tuple)
    assert not any(hasattr(item, "_meta") for item in cached)  # no model instance of any kind
    text = repr(cached)
    assert user.password not in text
    assert user.password.split("$")[-1] not in text
    assert user.email not in text


def test_role_change__stale_principal_cached_before_commit__next_request_sees_new_role(
    demotable_admin, user, django_capture_on_commit_callbacks
):
    make_file(owner=user)
    session = login(demotable_admin)
    assert _visible_files(session) == 1
    stale = cache.get(_session_key(session.access))

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        user_set_role(user=demotable_admin, role=Role.VIEWER)
        # a request served by another worker between the save and the commit read the old row
        cache.set(_session_key(session.access), stale)

    assert _visible_files(session) == 0


def test_group_permission_granted__next_request_uses_it(user, other_user, django_capture_on_commit_callbacks):
    make_file(owner=other_user)
    session = login(user)
    assert _visible_files(session) == 0

    with django_capture_on_commit_callbacks(execute=True):
        Group.objects.get(name=Role.VIEWER).permissions.add(Permission.objects.get(codename="change_file"))

    assert _visible_files(session) == 1


def test_all_files_access__role_field_admin_without_the_permissions__own_files_only(user, other_user):
    make_file(owner=other_user)
    user.role = Role.ADMIN  # the field alone, as a stale copy of the row could show it
    user.save()

    assert _visible_files(login(user)) == 0


def test_role_change__of_a_superuser__clears_is_superuser(user):
    superuser = UserFactory(role=Role.ADMIN, is_superuser=True, is_staff=True)
    UserFactory(role=Role.ADMIN)
    make_file(owner=user)

    user_set_role(user=superuser, role=Role.VIEWER)

    superuser.refresh_from_db()
    assert (superuser.is_superuser, superuser.is_staff) == (False, False)
    assert _visible_files(login(superuser)) == 0


@pytest.mark.parametrize("change", ["demote", "deactivate"])
def test_last_admin__demoted_or_deactivated__409_last_admin(change):
    only_admin = UserFactory(role=Role.ADMIN)

    with pytest.raises(ConflictError) as caught:
        if change == "demote":
            user_set_role(user=only_admin, role=Role.EDITOR)
        else:
            user_set_active(user=only_admin, is_active=False)

    assert caught.value.code == "last_admin"
    only_admin.refresh_from_db()
    assert (only_admin.role, only_admin.is_active) == (Role.ADMIN, True)


def test_last_admin__through_the_api__409_last_admin(api_client):
    only_admin = UserFactory(role=Role.ADMIN)
    manager = UserFactory(role=Role.VIEWER)
    manager.user_permissions.add(*Permission.objects.filter(codename__in=["view_user", "change_user"]))
    api_client.force_authenticate(manager)

    response = api_client.patch(f"/api/v1/users/{only_admin.pk}/", {"role": "viewer"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "last_admin"


def test_last_admin__through_the_admin__refused_with_a_form_error(client):
    only_admin = UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True)
    manager = UserFactory(role=Role.VIEWER, is_staff=True)
    manager.user_permissions.add(*Permission.objects.filter(codename__in=["view_user", "change_user"]))
    client.force_login(manager)
    form = {
        "email": only_admin.email,
        "display_name": only_admin.display_name,
        "role": "viewer",
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }

    response = client.post(f"/admin/accounts/user/{only_admin.pk}/change/", form)

    assert response.status_code == 200  # the form again, with the error
    assert b"last administrator" in response.content
    only_admin.refresh_from_db()
    assert only_admin.role == Role.ADMIN
