"""Cache outage: lockout and revocation fail closed (503, nothing changed); reads fall back to the database."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from accounts.models import UserSession
from accounts.session_services import auth_login, session_logout
from core.errors import ServiceUnavailableError
from tests.accounts.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


def _broken(*args, **kwargs):
    raise ConnectionError("cache down")


@pytest.fixture
def cache_down(monkeypatch):
    for name in ("get", "get_many", "set", "set_many", "add", "incr", "delete", "delete_many"):
        monkeypatch.setattr(cache, name, _broken)


def test_login__cache_down__503_with_retry_after_and_no_session(rf, user, cache_down):
    with pytest.raises(ServiceUnavailableError) as caught:
        auth_login(email=user.email, password=DEFAULT_PASSWORD, request=rf.post("/"))

    assert caught.value.headers["Retry-After"] == "30"
    assert caught.value.code == "cache_unavailable"
    assert not UserSession.objects.exists()


def test_logout__cache_down__503_and_session_stays_live(rf, user, session_login, monkeypatch):
    monkeypatch.setattr(cache, "set_many", _broken)  # writes fail; the session was opened before

    with pytest.raises(ServiceUnavailableError):
        session_logout(user=user, refresh=session_login.refresh, request=rf.post("/"))

    assert UserSession.objects.get().revoked_at is None
