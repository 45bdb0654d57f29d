"""API.md *Accounts*, the /users/ rows: the caller's own account, and the admin API."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from tests.support.auth import ME_URL, login

pytestmark = pytest.mark.django_db


def test_me__get__returns_the_caller(user_client, user):
    response = user_client.get(ME_URL)

    assert response.status_code == 200
    assert response.json()["email"] == user.email
    assert response.json()["role"] == "viewer"


def test_me__patch_display_name__updates_and_audits(user_client, user):
    response = user_client.patch(ME_URL, {"display_name": "Renamed"})

    assert response.status_code == 200
    assert response.json()["display_name"] == "Renamed"
    user.refresh_from_db()
    assert user.display_name == "Renamed"
    assert AuditEvent.objects.filter(action="user.profile.updated", target_id=str(user.pk)).exists()


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"role": "admin"}, "unknown_field"),
        ({"email": "x@example.com"}, "unknown_field"),
        ({"display_name": "x" * 151}, "max_length"),
    ],
)
def test_me__patch_other_fields__returns_400(user_client, user, body, code):
    response = user_client.patch(ME_URL, body)

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert [error["field"] for error in response.json()["errors"]] == list(body)
    user.refresh_from_db()
    assert user.role == "viewer"


def test_me__anonymous__returns_401(api_client):
    response = api_client.get(ME_URL)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("client_fixture", ["user_client", "editor_client", "auditor_client"])
def test_users_list__non_admin__returns_403(request, client_fixture):
    client = request.getfixturevalue(client_fixture)

    response = client.get("/api/v1/users/")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_users_list__admin__paginated_list_of_all(admin_client_api, user, other_user):
    response = admin_client_api.get("/api/v1/users/")

    assert response.status_code == 200
    body = response.json()
    assert {user.email, other_user.email} <= {item["email"] for item in body["results"]}
    assert {"next", "previous", "results"} <= set(body)


def test_users_list__query_count_does_not_grow_with_users(admin_client_api):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.accounts.factories import UserFactory

    admin_client_api.get("/api/v1/users/")  # warms the throttle's cache entry
    with CaptureQueriesContext(connection) as few:
        admin_client_api.get("/api/v1/users/")
    UserFactory.create_batch(5)
    with CaptureQueriesContext(connection) as many:
        admin_client_api.get("/api/v1/users/")

    assert len(many) == len(few)


def test_users_retrieve__admin__200_and_unknown_404(admin_client_api, user):
    assert admin_client_api.get(f"/api/v1/users/{user.pk}/").json()["email"] == user.email
    response = admin_client_api.get("/api/v1/users/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_users_retrieve__non_admin__returns_403(user_client, other_user):
    response = user_client.get(f"/api/v1/users/{other_user.pk}/")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_users_patch_role__admin__syncs_group_and_audits(admin_client_api, admin_user, user):
    response = admin_client_api.patch(f"/api/v1/users/{user.pk}/", {"role": "editor"})

    assert response.status_code == 200
    assert response.json()["role"] == "editor"
    user.refresh_from_db()
    assert list(user.groups.values_list("name", flat=True)) == ["editor"]
    event = AuditEvent.objects.get(action="user.role.changed")
    assert event.actor == str(admin_user.pk)
    assert event.changes == {"role": ["viewer", "editor"]}


def test_users_patch_role_admin__grants_admin_permissions(admin_client_api, user):
    admin_client_api.patch(f"/api/v1/users/{user.pk}/", {"role": "admin"})

    user.refresh_from_db()
    assert user.is_staff
    assert user.has_perm("accounts.change_user")


def test_users_patch_deactivate__kills_the_users_tokens(admin_client_api, user):
    session = login(user)

    response = admin_client_api.patch(f"/api/v1/users/{user.pk}/", {"is_active": False})

    assert response.status_code == 200
    assert response.json()["is_active"] is False
    refused = session.client().get(ME_URL)
    assert refused.status_code == 401
    assert refused.json()["code"] == "session_revoked"
    assert AuditEvent.objects.filter(action="user.deactivated").exists()


def test_users_patch__reactivate__audited(admin_client_api):
    from tests.accounts.factories import UserFactory

    dormant = UserFactory(is_active=False)

    response = admin_client_api.patch(f"/api/v1/users/{dormant.pk}/", {"is_active": True})

    assert response.json()["is_active"] is True
    assert AuditEvent.objects.filter(action="user.activated").exists()


@pytest.mark.parametrize("body", [{"role": "viewer"}, {"is_active": False}])
def test_users_patch__admin_demoting_self__returns_409(admin_client_api, admin_user, body):
    response = admin_client_api.patch(f"/api/v1/users/{admin_user.pk}/", body)

    assert response.status_code == 409
    assert response.json()["code"] == "self_demotion"
    admin_user.refresh_from_db()
    assert admin_user.role == "admin" and admin_user.is_active


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"role": "root"}, "invalid_choice"),
        ({"email": "x@example.com"}, "unknown_field"),
        ({"is_active": "maybe"}, "validation_error"),
    ],
)
def test_users_patch__invalid_body__returns_400(admin_client_api, user, body, code):
    response = admin_client_api.patch(f"/api/v1/users/{user.pk}/", body)

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert [error["field"] for error in response.json()["errors"]] == list(body)


def test_users_put__returns_405(admin_client_api, user):
    response = admin_client_api.put(f"/api/v1/users/{user.pk}/", {"role": "editor"}, off_contract=True)

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_users_patch__non_admin__returns_403(editor_client, user):
    response = editor_client.patch(f"/api/v1/users/{user.pk}/", {"role": "admin"})

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
