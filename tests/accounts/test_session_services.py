"""Sessions: the absolute lifetime cap, parallel refreshes on PostgreSQL, cleanup commands."""

from __future__ import annotations

import threading
from datetime import timedelta

import jwt
import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import UserSession
from core.jwt_keys import keyring
from tests.support.auth import ME_URL, REFRESH_URL, login
from tests.support.contract import ContractAPIClient

pytestmark = pytest.mark.django_db


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def test_login__tokens_never_outlive_the_session_cap(user, settings):
    settings.SESSION_ABSOLUTE_LIFETIME = 60  # shorter than both token lifetimes

    pair = login(user)

    session = UserSession.objects.get()
    cap = int(session.expires_at.timestamp())
    assert _claims(pair.access)["exp"] <= cap
    assert _claims(pair.refresh)["exp"] <= cap


def test_refresh__past_the_absolute_cap__401_even_with_a_fresh_token(user, api_client):
    pair = login(user)
    UserSession.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = api_client.post(REFRESH_URL, {"refresh": pair.refresh})

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_refresh__rotation_keeps_the_session_cap_and_updates_last_used(user, api_client):
    pair = login(user)
    session = UserSession.objects.get()
    UserSession.objects.update(last_used_at=timezone.now() - timedelta(hours=1))

    rotated = api_client.post(REFRESH_URL, {"refresh": pair.refresh}).json()

    refreshed = UserSession.objects.get()
    assert refreshed.expires_at == session.expires_at
    assert refreshed.last_used_at > timezone.now() - timedelta(minutes=1)
    assert _claims(rotated["refresh"])["sid"] == str(session.pk)
    assert BlacklistedToken.objects.filter(token__jti=_claims(pair.refresh)["jti"]).exists()
    assert OutstandingToken.objects.filter(jti=_claims(rotated["refresh"])["jti"], token="").exists()


def test_refresh__deactivated_user__401(user, api_client):
    pair = login(user)
    user.is_active = False
    user.save()

    response = api_client.post(REFRESH_URL, {"refresh": pair.refresh})

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


@pytest.mark.postgres_only
# serialized_rollback: the flush after this test then keeps the seeded roles and does not re-create
# content types under new ids (which breaks the next serialized_rollback test).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_refresh__two_parallel_refreshes_of_one_token__exactly_one_200(user):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    pair = login(user)
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def refresh() -> None:
        try:
            client = ContractAPIClient()
            barrier.wait()
            statuses.append(client.post(REFRESH_URL, {"refresh": pair.refresh}).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200, 401]
    assert UserSession.objects.get().revoked_reason == "token_reuse"


def test_flushexpiredsessions__deletes_old_dead_sessions_keeps_live(user, settings):
    settings.SESSION_RETENTION = 60
    live, revoked, capped, idle = (login(user) for _ in range(4))
    old = timezone.now() - timedelta(seconds=120)
    sessions = {_claims(pair.access)["sid"]: pair for pair in (live, revoked, capped, idle)}
    ids = list(sessions)
    UserSession.objects.filter(pk=ids[1]).update(revoked_at=old)
    UserSession.objects.filter(pk=ids[2]).update(expires_at=old)
    UserSession.objects.filter(pk=ids[3]).update(last_used_at=old - timedelta(seconds=settings.JWT_REFRESH_TTL))

    call_command("flushexpiredsessions")

    assert [str(pk) for pk in UserSession.objects.values_list("pk", flat=True)] == [ids[0]]
    assert live.client().get(ME_URL).status_code == 200


def test_flushexpiredtokens__simplejwt_command_removes_expired_outstanding(user):
    login(user)
    OutstandingToken.objects.update(expires_at=timezone.now() - timedelta(days=1))

    call_command("flushexpiredtokens")

    assert not OutstandingToken.objects.exists()


@pytest.mark.parametrize("sid", [None, "not-a-uuid"])
def test_refresh__signed_token_without_valid_session_claim__401(user, api_client, sid, settings):
    claims = {"token_type": "refresh", "user_id": str(user.pk), "jti": "x" * 32, "exp": 4102444800}
    if sid is not None:
        claims["sid"] = sid

    response = api_client.post(REFRESH_URL, {"refresh": keyring().sign(claims)})

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"
