"""The admin and the second factor: no admin with the password alone when TOTP is on; factors shown and reset."""

from __future__ import annotations

import pytest
from django.test import override_settings

from accounts.models import Passkey, TOTPDevice
from audit.models import AuditEvent
from tests.accounts.factories import DEFAULT_PASSWORD
from tests.accounts.mfa_support import enable_totp

pytestmark = pytest.mark.django_db

ADMIN_LOGIN = "/admin/login/?next=/admin/"


def _login(client, user, code: str | None = None):
    data = {"username": user.email, "password": DEFAULT_PASSWORD, "next": "/admin/"}
    if code is not None:
        data["otp_token"] = code
    return client.post(ADMIN_LOGIN, data)


def test_admin_login__totp_on_password_alone__refused(client, admin_user):
    enable_totp(admin_user)

    response = _login(client, admin_user)

    assert response.status_code == 200  # the form again
    assert b"valid code" in response.content
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


def test_admin_login__totp_on_wrong_code__refused_and_counted(client, admin_user):
    enable_totp(admin_user)

    _login(client, admin_user, "000000")

    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="auth.mfa.failed", target_id=str(admin_user.pk)).exists()


@override_settings(LOCKOUT_FAILURES=2, LOCKOUT_WINDOW=600)
def test_admin_login__wrong_codes__lock_the_account_out_even_with_right_code(client, admin_user):
    totp = enable_totp(admin_user)
    _login(client, admin_user, "000000")
    _login(client, admin_user, "000000")

    response = _login(client, admin_user, totp.code())

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_admin_login__totp_on_right_code__reaches_the_admin(client, admin_user):
    totp = enable_totp(admin_user)

    response = _login(client, admin_user, totp.code())

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_admin_login__totp_off__password_alone_still_works(client, admin_user):
    assert _login(client, admin_user).status_code == 302


def test_admin_user_page__shows_factors_and_passkeys(client, admin_user, user):
    enable_totp(user)
    Passkey.objects.create(user=user, name="YubiKey 5", credential_id=b"cred", public_key=b"key")
    client.force_login(admin_user)

    page = client.get(f"/admin/accounts/user/{user.pk}/change/")

    assert page.status_code == 200
    assert b"TOTP on, 10 recovery code(s) left; 1 passkey(s)" in page.content
    assert b"YubiKey 5" in page.content


def test_admin_reset_second_factors__removes_them_and_is_audited(client, admin_user, user):
    enable_totp(user)
    Passkey.objects.create(user=user, name="YubiKey 5", credential_id=b"cred", public_key=b"key")
    client.force_login(admin_user)

    response = client.post(
        "/admin/accounts/user/", {"action": "reset_second_factors", "_selected_action": [str(user.pk)]}
    )

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not Passkey.objects.filter(user=user).exists()
    event = AuditEvent.objects.get(action="auth.mfa.reset")
    assert event.actor == str(admin_user.pk) and event.target_id == str(user.pk)
    assert event.metadata == {"passkeys_removed": 1}
