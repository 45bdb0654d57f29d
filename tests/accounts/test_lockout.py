"""Brute-force lockout (API.md: LOCKOUT_FAILURES per account and ip, LOCKOUT_IP_FAILURES per ip)."""

from __future__ import annotations

import json
import statistics
import time
import urllib.error
import urllib.request

import pytest
from django.test import override_settings

from audit.models import AuditEvent
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.support.auth import TOKEN_URL
from tests.support.servers import gunicorn_server

pytestmark = pytest.mark.django_db

WRONG = "definitely-not-it"


def _attempt(client, email: str, password: str = WRONG, ip: str = "127.0.0.1"):
    return client.post(TOKEN_URL, {"email": email, "password": password}, REMOTE_ADDR=ip)


@override_settings(LOCKOUT_FAILURES=3, LOCKOUT_WINDOW=600)
def test_lockout__after_failures__429_with_retry_after_even_for_right_password(api_client, user):
    statuses = [_attempt(api_client, user.email).status_code for _ in range(3)]

    locked = _attempt(api_client, user.email, DEFAULT_PASSWORD)

    assert statuses == [401, 401, 401]
    assert locked.status_code == 429
    assert locked.json()["code"] == "throttled"
    assert 590 <= int(locked["Retry-After"]) <= 600
    event = AuditEvent.objects.get(action="auth.lockout")
    assert event.metadata["scope"] == "account"
    assert event.target_id == str(user.pk)


@override_settings(LOCKOUT_FAILURES=3)
def test_lockout__is_per_account_and_ip__victim_logs_in_from_elsewhere(api_client, user):
    for _ in range(3):
        _attempt(api_client, user.email, ip="203.0.113.7")

    from_attacker = _attempt(api_client, user.email, DEFAULT_PASSWORD, ip="203.0.113.7")
    from_victim = _attempt(api_client, user.email, DEFAULT_PASSWORD, ip="198.51.100.1")

    assert from_attacker.status_code == 429
    assert from_attacker.json()["code"] == "throttled"
    assert from_victim.status_code == 200


@override_settings(LOCKOUT_FAILURES=100, LOCKOUT_IP_FAILURES=4)
def test_lockout__per_ip__spraying_many_accounts_locks_the_ip(api_client, user):
    for index in range(4):
        _attempt(api_client, f"sprayed{index}@example.com", ip="203.0.113.9")

    response = _attempt(api_client, user.email, DEFAULT_PASSWORD, ip="203.0.113.9")

    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert AuditEvent.objects.filter(action="auth.lockout", metadata__scope="ip").exists()
    assert _attempt(api_client, user.email, DEFAULT_PASSWORD, ip="198.51.100.2").status_code == 200


@override_settings(LOCKOUT_FAILURES=3)
def test_lockout__success_resets_the_account_counter(api_client, user):
    for _ in range(2):
        _attempt(api_client, user.email)
    assert _attempt(api_client, user.email, DEFAULT_PASSWORD).status_code == 200

    statuses = [_attempt(api_client, user.email).status_code for _ in range(2)]

    assert statuses == [401, 401]
    assert _attempt(api_client, user.email, DEFAULT_PASSWORD).status_code == 200


@override_settings(LOCKOUT_FAILURES=2, TRUSTED_PROXIES=["10.0.0.1"])
def test_lockout__keyed_by_trusted_client_ip__spoofed_xff_does_not_escape(api_client, user):
    for spoof in ("1.1.1.1", "2.2.2.2"):
        api_client.post(
            TOKEN_URL, {"email": user.email, "password": WRONG}, REMOTE_ADDR="192.0.2.5", HTTP_X_FORWARDED_FOR=spoof
        )

    response = api_client.post(
        TOKEN_URL,
        {"email": user.email, "password": DEFAULT_PASSWORD},
        REMOTE_ADDR="192.0.2.5",
        HTTP_X_FORWARDED_FOR="3.3.3.3",
    )

    assert response.status_code == 429
    assert response.json()["code"] == "throttled"


def test_auth_throttle__scope_auth_rate__429_with_retry_after(api_client, monkeypatch):
    from core.throttles import AuthThrottle

    # DRF reads the rates once, at import: patch the class for this test only.
    monkeypatch.setattr(AuthThrottle, "THROTTLE_RATES", {**AuthThrottle.THROTTLE_RATES, "auth": "2/min"})

    statuses = [
        api_client.post("/api/v1/auth/password/reset/", {"email": "a@example.com"}).status_code for _ in range(3)
    ]
    last = api_client.post("/api/v1/auth/verify-email/resend/", {"email": "a@example.com"})

    assert statuses == [202, 202, 429]
    assert last.status_code == 429
    assert last.json()["code"] == "throttled"
    assert int(last["Retry-After"]) >= 1


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.Argon2PasswordHasher"], LOCKOUT_FAILURES=100)
def test_login__unknown_email_and_wrong_password__take_similar_time(api_client):
    user = UserFactory()  # hashed with Argon2 under this setting

    def timed(email: str) -> float:
        start = time.perf_counter()
        response = _attempt(api_client, email)
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_credentials"
        return time.perf_counter() - start

    timed(user.email)  # warm-up
    known = statistics.median(timed(user.email) for _ in range(4))
    unknown = statistics.median(timed("nobody@example.com") for _ in range(4))

    assert 0.5 < unknown / known < 2.0, (known, unknown)


@override_settings(
    PASSWORD_HASHERS=[
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
)
def test_login__older_hash__upgraded_to_argon2(api_client):
    from django.contrib.auth.hashers import make_password

    user = UserFactory()
    user.password = make_password(DEFAULT_PASSWORD, hasher="pbkdf2_sha256")
    user.save()

    assert _attempt(api_client, user.email, DEFAULT_PASSWORD).status_code == 200

    user.refresh_from_db()
    assert user.password.startswith("argon2")


def _login_over_http(base_url: str, email: str, password: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{base_url}{TOKEN_URL}",
        data=json.dumps({"email": email, "password": password}).encode(),
        headers={"Content-Type": "application/json", "Connection": "close"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


@pytest.mark.slow
# serialized_rollback: the flush after this test then keeps the seeded roles and does not re-create
# content types under new ids (which breaks the next serialized_rollback test).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_lockout__holds_across_two_gunicorn_workers():
    user = UserFactory()
    with gunicorn_server(workers=2, LOCKOUT_FAILURES="3") as base_url:
        statuses = []
        for _ in range(3):
            status, _ = _login_over_http(base_url, user.email, WRONG)
            statuses.append(status)
        # Fresh connections, so both workers answer some: the lock must hold whichever one does.
        locked = [_login_over_http(base_url, user.email, DEFAULT_PASSWORD) for _ in range(6)]

    assert statuses == [401, 401, 401]
    assert {status for status, _ in locked} == {429}
    assert all(int(headers["Retry-After"]) >= 1 for _, headers in locked)
