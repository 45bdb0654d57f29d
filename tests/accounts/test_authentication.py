"""SessionJWTAuthentication: JWT probes and the session revocation check."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import UserSession
from core.jwt_keys import keyring
from tests.support.auth import ME_URL, login
from tests.support.contract import ContractAPIClient

pytestmark = pytest.mark.django_db


def _get_me(token: str):
    client = ContractAPIClient()
    return client.get(ME_URL, HTTP_AUTHORIZATION=f"Bearer {token}")


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def _b64(data: dict | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_valid_access_token__returns_200(session_login):
    assert _get_me(session_login.access).status_code == 200


def test_alg_none_token__returns_401(session_login):
    forged = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims(session_login.access))}."

    response = _get_me(forged)

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_token_signed_with_wrong_key__returns_401(session_login):
    forged = jwt.encode(_claims(session_login.access), "not-" + settings.SECRET_KEY, algorithm="HS256")

    response = _get_me(forged)
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_tampered_payload__returns_401(session_login, other_user):
    header, _, signature = session_login.access.split(".")
    claims = {**_claims(session_login.access), "user_id": str(other_user.pk)}

    response = _get_me(f"{header}.{_b64(claims)}.{signature}")
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_expired_token__returns_401(session_login):
    expired = keyring().sign({**_claims(session_login.access), "exp": int(time.time()) - 10})

    response = _get_me(expired)
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_refresh_token_used_as_access__returns_401(session_login):
    response = _get_me(session_login.refresh)
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_token_without_session_claim__returns_401(session_login):
    claims = {key: value for key, value in _claims(session_login.access).items() if key != "sid"}

    response = _get_me(keyring().sign(claims))
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_token_of_deleted_user__returns_401(user, session_login):
    user.delete()

    response = _get_me(session_login.access)
    assert response.status_code == 401
    assert response.json()["code"] == "session_revoked"


def test_token_of_deactivated_user__returns_401(user, session_login):
    user.is_active = False
    user.save()

    response = _get_me(session_login.access)
    assert response.status_code == 401
    assert response.json()["code"] == "session_revoked"


def test_revoked_session__cache_lost__database_still_refuses(user, session_login):
    UserSession.objects.update(revoked_at="2026-01-01T00:00:00Z")
    cache.clear()

    response = _get_me(session_login.access)

    assert response.status_code == 401
    assert response.json()["code"] == "session_revoked"


def test_authentication__warm_cache__costs_no_session_permission_or_profile_query(session_login):
    _get_me(session_login.access)  # warms the session marker

    with CaptureQueriesContext(connection) as queries:
        assert _get_me(session_login.access).status_code == 200

    # The profile comes from the row this process read with the session's state (accounts.principal),
    # never from Redis. (The embedded mode's cache is a database table: its statements are not the view's.)
    sql = [query["sql"] for query in queries.captured_queries]
    assert not [statement for statement in sql if "accounts_usersession" in statement or "auth_permission" in statement]
    assert not [statement for statement in sql if "accounts_user" in statement]


def test_user_saved__cached_copy_dropped__next_request_sees_the_change(user, session_login):
    assert _get_me(session_login.access).json()["display_name"] == user.display_name

    user.display_name = "Changed In Shell"
    user.save()

    assert _get_me(session_login.access).json()["display_name"] == "Changed In Shell"


@pytest.mark.parametrize("revoked", [False, True])
def test_revocation_check__cache_down__falls_back_to_database(session_login, monkeypatch, revoked):
    from accounts.revocation import session_principal

    if revoked:
        UserSession.objects.update(revoked_at="2026-01-01T00:00:00Z")

    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "get_many", broken)
    monkeypatch.setattr(cache, "add", broken)

    assert (session_principal(_claims(session_login.access)["sid"]) is None) is revoked


def test_force_authenticate__still_works_for_other_apps(user_client, user):
    response = user_client.get(ME_URL)

    assert response.status_code == 200
    assert response.json()["id"] == str(user.pk)


def test_malformed_authorization_header__returns_401(api_client):
    response = api_client.get(ME_URL, HTTP_AUTHORIZATION="Bearer a b")

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_login__then_access_works_for_each_of_two_sessions(user):
    first, second = login(user), login(user)

    assert _get_me(first.access).status_code == _get_me(second.access).status_code == 200
    assert _claims(first.access)["sid"] != _claims(second.access)["sid"]


@pytest.mark.skipif(not settings.REDIS_URL, reason="counts Redis commands")
def test_authentication__warm_cache__session_check_and_user_throttle_in_one_redis_round_trip(session_login):
    from unittest import mock

    from redis.client import Redis

    _get_me(session_login.access)  # warms the session state

    with mock.patch.object(Redis, "execute_command", autospec=True, side_effect=Redis.execute_command) as commands:
        assert _get_me(session_login.access).status_code == 200

    assert [call.args[1] for call in commands.call_args_list] == ["EVALSHA"]
