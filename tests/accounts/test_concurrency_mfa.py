"""Second factors under real concurrency (PostgreSQL row locks): each single-use secret is used once."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.conf import settings
from django.db import connection

from accounts.models import UserSession
from tests.accounts.mfa_support import MFA_VERIFY_URL, enable_totp, mfa_token
from tests.accounts.webauthn_support import SoftAuthenticator
from tests.support.contract import ContractAPIClient

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _in_parallel(call: Callable[[], int], count: int = 4) -> list[int]:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    barrier = threading.Barrier(count)
    statuses: list[int] = []

    def run() -> None:
        try:
            barrier.wait()
            statuses.append(call())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


def test_mfa_verify__one_mfa_token_in_parallel__opens_one_session(user):
    totp = enable_totp(user)
    token = mfa_token(user)
    codes = iter([totp.code(), totp.code(1), totp.recovery_codes[0], totp.recovery_codes[1]])
    bodies = [{"mfa_token": token, "code": next(codes)} for _ in range(4)]

    statuses = _in_parallel(lambda: ContractAPIClient().post(MFA_VERIFY_URL, bodies.pop()).status_code)

    assert statuses == [200, 401, 401, 401]
    assert UserSession.objects.filter(user=user).count() == 1


def test_mfa_verify__one_totp_code_on_two_mfa_tokens_in_parallel__accepted_once(user):
    totp = enable_totp(user)
    code = totp.code()
    tokens = [mfa_token(user) for _ in range(4)]

    statuses = _in_parallel(
        lambda: ContractAPIClient().post(MFA_VERIFY_URL, {"mfa_token": tokens.pop(), "code": code}).status_code
    )

    assert statuses == [200, 401, 401, 401]


def test_passkey_login__one_assertion_in_parallel__accepted_once(user):
    authenticator = SoftAuthenticator(origin=settings.WEBAUTHN_ORIGINS[0], rp_id=settings.WEBAUTHN_RP_ID)
    client = ContractAPIClient()
    client.force_authenticate(user=user)
    options = client.post("/api/v1/auth/passkeys/register/options/").json()
    credential = authenticator.create(options)
    assert client.post("/api/v1/auth/passkeys/register/", {"credential": credential, "name": "k"}).status_code == 201
    login_options = ContractAPIClient().post("/api/v1/auth/passkeys/login/options/", {}).json()
    assertion = authenticator.get(login_options)

    statuses = _in_parallel(
        lambda: ContractAPIClient().post("/api/v1/auth/passkeys/login/", {"credential": assertion}).status_code
    )

    assert statuses == [200, 401, 401, 401]
