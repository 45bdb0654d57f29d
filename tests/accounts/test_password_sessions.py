"""A password set on any path ends the user's other sessions (API.md: Accounts, lifecycle; issue 12.1)."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.test import override_settings

from accounts.models import User, UserSession
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.support.auth import ME_URL, REFRESH_URL, login

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-passphrase-2026"


def _assert_dead(session_login, api_client) -> None:
    assert session_login.client().get(ME_URL).status_code == 401
    refreshed = api_client.post(REFRESH_URL, {"refresh": session_login.refresh})
    assert refreshed.status_code == 401
    assert refreshed.json()["code"] == "token_not_valid"


def test_set_password_and_save__revokes_every_session(api_client, user):
    stolen = login(user)

    user.set_password(NEW_PASSWORD)
    user.save()

    _assert_dead(stolen, api_client)
    assert UserSession.objects.get().revoked_reason == "password_changed"


def test_admin_password_form__revokes_every_session_of_the_user(client, api_client, admin_user):
    target = UserFactory()
    stolen = login(target)
    client.force_login(admin_user)

    response = client.post(
        f"/admin/accounts/user/{target.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )

    assert response.status_code == 302, response.content[:2000]
    _assert_dead(stolen, api_client)


def test_admin_password_form__disabling_password_login__revokes_every_session(client, api_client, admin_user):
    target = UserFactory()
    stolen = login(target)
    client.force_login(admin_user)

    response = client.post(
        f"/admin/accounts/user/{target.pk}/password/", {"usable_password": "false", "unset-password": "1"}
    )

    assert response.status_code == 302, response.content[:2000]
    target.refresh_from_db()
    assert not target.has_usable_password()
    _assert_dead(stolen, api_client)


def test_changepassword_command__revokes_every_session(api_client, user, monkeypatch):
    stolen = login(user)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": NEW_PASSWORD)

    call_command("changepassword", user.email, stdout=None)

    _assert_dead(stolen, api_client)


def test_saving_other_fields__keeps_sessions(user):
    session_login = login(user)

    user.display_name = "Renamed"
    user.save()
    user.save()

    assert session_login.client().get(ME_URL).status_code == 200


@override_settings(
    PASSWORD_HASHERS=[
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
)
def test_hash_upgrade_at_login__is_no_password_change__sessions_kept():
    user = UserFactory()
    User.objects.filter(pk=user.pk).update(password=make_password(DEFAULT_PASSWORD, hasher="pbkdf2_sha256"))
    first = login(user)

    second = login(user)  # upgrades the hash to Argon2 on the way

    user.refresh_from_db()
    assert user.password.startswith("argon2")
    assert first.client().get(ME_URL).status_code == 200
    assert second.client().get(ME_URL).status_code == 200
