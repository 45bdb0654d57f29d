"""/admin/login/ shares the API login's lockout, throttle and audit (API.md, Accounts: lifecycle)."""

from __future__ import annotations

import pytest
from django.test import override_settings

from audit.models import AuditEvent
from core.throttles import AuthThrottle
from tests.accounts.factories import DEFAULT_PASSWORD
from tests.support.auth import TOKEN_URL

pytestmark = pytest.mark.django_db

ADMIN_LOGIN = "/admin/login/"
WRONG = "definitely-not-it"


def _admin_attempt(client, email: str, password: str = WRONG, ip: str = "127.0.0.1"):
    return client.post(ADMIN_LOGIN, {"username": email, "password": password}, REMOTE_ADDR=ip)


@override_settings(LOCKOUT_FAILURES=3, LOCKOUT_WINDOW=600)
def test_admin_login__after_failures__429_with_retry_after_even_for_right_password(client, admin_user):
    statuses = [_admin_attempt(client, admin_user.email).status_code for _ in range(3)]

    locked = _admin_attempt(client, admin_user.email, DEFAULT_PASSWORD)

    assert statuses == [200, 200, 200]  # the form again, with its error
    assert locked.status_code == 429
    assert 590 <= int(locked["Retry-After"]) <= 600
    assert "_auth_user_id" not in client.session
    event = AuditEvent.objects.get(action="auth.lockout")
    assert event.metadata["scope"] == "account"
    assert event.metadata["channel"] == "admin"


def test_admin_login__wrong_password__audited_as_failed_with_channel_admin(client, admin_user):
    _admin_attempt(client, admin_user.email)

    event = AuditEvent.objects.get(action="auth.login.failed")
    assert event.metadata == {"email": admin_user.email, "channel": "admin"}
    assert event.target_id == str(admin_user.pk)
    assert WRONG not in str(event.metadata)


@override_settings(LOCKOUT_FAILURES=3)
def test_admin_login__api_failures_count_too__the_lock_is_shared(client, api_client, admin_user):
    for _ in range(2):
        api_client.post(TOKEN_URL, {"email": admin_user.email, "password": WRONG})
    _admin_attempt(client, admin_user.email)

    from_api = api_client.post(TOKEN_URL, {"email": admin_user.email, "password": DEFAULT_PASSWORD})
    from_admin = _admin_attempt(client, admin_user.email, DEFAULT_PASSWORD)

    assert from_api.status_code == 429
    assert from_api.json()["code"] == "throttled"
    assert from_admin.status_code == 429


@override_settings(LOCKOUT_FAILURES=100, LOCKOUT_IP_FAILURES=3)
def test_admin_login__ip_locked_after_spraying__429(client, admin_user):
    for index in range(3):
        _admin_attempt(client, f"sprayed{index}@example.com", ip="203.0.113.9")

    assert _admin_attempt(client, admin_user.email, DEFAULT_PASSWORD, ip="203.0.113.9").status_code == 429
    assert _admin_attempt(client, admin_user.email, DEFAULT_PASSWORD, ip="198.51.100.2").status_code == 302


def test_admin_login__auth_throttle_shared_with_the_api__429_with_retry_after(client, api_client, monkeypatch):
    monkeypatch.setattr(AuthThrottle, "THROTTLE_RATES", {**AuthThrottle.THROTTLE_RATES, "auth": "2/min"})
    api_client.post("/api/v1/auth/password/reset/", {"email": "a@example.com"})
    _admin_attempt(client, "a@example.com")

    throttled = _admin_attempt(client, "a@example.com")

    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) >= 1
    api_throttled = api_client.post("/api/v1/auth/password/reset/", {"email": "a@example.com"})
    assert api_throttled.status_code == 429 and api_throttled.json()["code"] == "throttled"


def test_admin_login__right_password__logs_in_resets_counter_and_audits(client, admin_user):
    with override_settings(LOCKOUT_FAILURES=2):
        _admin_attempt(client, admin_user.email)
        response = _admin_attempt(client, admin_user.email, DEFAULT_PASSWORD)
        client.logout()
        _admin_attempt(client, admin_user.email)
        again = _admin_attempt(client, admin_user.email, DEFAULT_PASSWORD)

    assert response.status_code == 302
    assert again.status_code == 302
    assert AuditEvent.objects.filter(action="auth.login.succeeded", metadata__channel="admin").count() == 2


def test_admin_login__get_of_the_form__not_counted(client, monkeypatch):
    monkeypatch.setattr(AuthThrottle, "THROTTLE_RATES", {**AuthThrottle.THROTTLE_RATES, "auth": "1/min"})

    statuses = [client.get(ADMIN_LOGIN).status_code for _ in range(3)]

    assert statuses == [200, 200, 200]
