"""Django admin: users (role changes keep groups in sync), sessions with a revoke action, groups."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from accounts.models import UserSession
from audit.models import AuditEvent
from tests.accounts.factories import UserFactory
from tests.support.auth import ME_URL, login

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_browser(client, admin_user):
    client.force_login(admin_user)
    return client


def test_admin_session_revoke_action__revokes_and_audits(admin_browser, user):
    session_login = login(user)
    session = UserSession.objects.get(user=user)

    response = admin_browser.post(
        "/admin/accounts/usersession/", {"action": "revoke", "_selected_action": [str(session.pk)]}
    )

    assert response.status_code == 302
    session.refresh_from_db()
    assert session.revoked_reason == "revoked"
    refused = session_login.client().get(ME_URL)
    assert refused.status_code == 401
    assert refused.json()["code"] == "session_revoked"
    assert AuditEvent.objects.filter(action="auth.session.revoked", target_id=str(session.pk)).exists()


def test_admin_session_list_and_no_add(admin_browser, user):
    login(user)

    assert admin_browser.get("/admin/accounts/usersession/").status_code == 200
    assert admin_browser.get("/admin/accounts/usersession/add/").status_code == 403


def test_admin_user_change_role__syncs_group_and_audits(admin_browser, admin_user):
    target = UserFactory()
    custom = Group.objects.create(name="beta-testers")
    form = {
        "email": target.email,
        "display_name": target.display_name,
        "role": "auditor",
        "email_verified": "on",
        "is_active": "on",
        "groups": [str(custom.pk)],
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }

    response = admin_browser.post(f"/admin/accounts/user/{target.pk}/change/", form)

    assert response.status_code == 302, response.content[:2000]
    target.refresh_from_db()
    assert target.role == "auditor"
    assert set(target.groups.values_list("name", flat=True)) == {"auditor", "beta-testers"}
    assert AuditEvent.objects.filter(action="user.role.changed", actor=str(admin_user.pk)).exists()


def test_admin_user_deactivate__revokes_sessions(admin_browser):
    target = UserFactory()
    session_login = login(target)
    form = {
        "email": target.email,
        "display_name": "",
        "role": "viewer",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }

    assert admin_browser.post(f"/admin/accounts/user/{target.pk}/change/", form).status_code == 302

    target.refresh_from_db()
    assert not target.is_active
    response = session_login.client().get(ME_URL)
    assert response.status_code == 401
    assert response.json()["code"] == "session_revoked"


def test_admin_groups__roles_listed_and_editable(admin_browser):
    response = admin_browser.get("/admin/auth/group/")

    assert response.status_code == 200
    for role in ("viewer", "editor", "auditor", "admin"):
        assert role in response.content.decode()


def test_admin_user_add__creates_a_viewer_in_the_viewer_group(admin_browser):
    assert admin_browser.get("/admin/accounts/user/add/").status_code == 200

    response = admin_browser.post(
        "/admin/accounts/user/add/",
        {
            "email": "added@example.com",
            "password1": "an-admin-chosen-passphrase",
            "password2": "an-admin-chosen-passphrase",
            "usable_password": "true",
        },
    )

    assert response.status_code == 302, response.content[:3000]
    from accounts.models import User

    added = User.objects.get(email="added@example.com")
    assert added.role == "viewer"
    assert list(added.groups.values_list("name", flat=True)) == ["viewer"]
