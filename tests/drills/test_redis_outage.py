"""Drill: Redis goes away while the app serves (the proxy in front of it is closed).

Shows: the API keeps answering from the database (profile, configuration by API key, conditional
reads), /ready names the cache as failed, sessions revoked and accounts locked before the outage stay
so during it, a logout or login during it is never a 500 (it works, or is refused with a 503 problem),
and everything is back once Redis is.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
from django.conf import settings

from tests.accounts.factories import DEFAULT_PASSWORD
from tests.drills.conftest import create_entry, wait_until
from tests.support.auth import bearer, live_login
from tests.support.servers import gunicorn_server
from tests.support.tcp_proxy import TCPProxy

pytestmark = pytest.mark.slow
LOCKOUT = 5


@dataclass
class Outage:
    base: str
    proxy: TCPProxy
    responses: list[requests.Response] = field(default_factory=list)

    def call(self, method: str, path: str, **kwargs) -> requests.Response:
        response = requests.request(method, f"{self.base}{path}", timeout=30, **kwargs)
        self.responses.append(response)
        return response

    def server_errors(self, allowed_503: tuple[str, ...] = ()) -> list[str]:
        """5xx answers other than /ready's 503 and the 503s of `allowed_503` paths (fail closed)."""
        return [
            f"{r.request.method} {r.url} -> {r.status_code}"
            for r in self.responses
            if r.status_code >= 500
            and not r.url.endswith("/ready")
            and not (r.status_code == 503 and r.url.endswith(allowed_503))
        ]


@pytest.fixture
def outage(db) -> Iterator[Outage]:
    """A gunicorn whose Redis is behind a proxy; the test cuts it with `outage.proxy.close()`."""
    if not settings.REDIS_URL:
        pytest.skip("the Redis drill needs REDIS_URL (the embedded mode has no Redis)")
    redis = urlsplit(settings.REDIS_URL)
    with TCPProxy(redis.hostname or "127.0.0.1", redis.port or 6379) as proxy:
        proxied = urlunsplit(redis._replace(netloc=f"127.0.0.1:{proxy.port}"))
        with gunicorn_server(workers=2, REDIS_URL=proxied, LOCKOUT_FAILURES=str(LOCKOUT)) as base:
            drill = Outage(base, proxy)
            yield drill
            proxy.open()
            wait_until(lambda: requests.get(f"{base}/ready", timeout=10).status_code == 200, timeout=30)


@pytest.mark.django_db(transaction=True)
def test_redis_outage__api_serves_from_database__ready_names_cache(server_user, outage):
    tokens = live_login(outage.base, server_user.email)
    entry_url = create_entry(outage.base, bearer(tokens["access"]), namespace="redis-drill")
    environment = urlsplit(entry_url.split("entries/")[0]).path
    key = outage.call(
        "POST", f"{environment}api-keys/", json={"name": "drill"}, headers=bearer(tokens["access"])
    ).json()["key"]
    api_key = {"Authorization": f"Api-Key {key}"}
    before = outage.call("GET", f"{environment}resolved/", headers=api_key)

    outage.proxy.close()
    ready = outage.call("GET", "/ready")
    me = outage.call("GET", "/api/v1/users/me/", headers=bearer(tokens["access"]))
    resolved = outage.call("GET", f"{environment}resolved/", headers=api_key)
    conditional = outage.call(
        "GET", f"{environment}resolved/", headers={**api_key, "If-None-Match": before.headers["ETag"]}
    )
    entries = outage.call("GET", f"{environment}entries/", headers=bearer(tokens["access"]))

    assert ready.status_code == 503 and ready.json()["checks"]["cache"]["status"] == "fail"
    assert ready.json()["checks"]["database"]["status"] == "ok"
    assert me.status_code == 200 and me.json()["email"] == server_user.email, me.text
    assert resolved.status_code == 200 and resolved.json() == {"counter": 0}
    assert conditional.status_code == 304
    assert entries.status_code == 200
    assert not outage.server_errors()
    print(
        "\ndrill redis (serving): /ready 503 naming the cache, database ok; profile, entries and resolved "
        "config (200, then 304 on If-None-Match) served from the database; no 5xx"
    )


@pytest.mark.django_db(transaction=True)
def test_redis_outage__revocation_holds__logout_never_500(server_user, outage):
    revoked, live = live_login(outage.base, server_user.email), live_login(outage.base, server_user.email)
    before = outage.call(
        "POST", "/api/v1/auth/logout/", json={"refresh": revoked["refresh"]}, headers=bearer(revoked["access"])
    )

    outage.proxy.close()
    still_revoked = outage.call("GET", "/api/v1/users/me/", headers=bearer(revoked["access"]))
    refresh = outage.call("POST", "/api/v1/auth/token/refresh/", json={"refresh": revoked["refresh"]})
    serving = outage.call("GET", "/api/v1/users/me/", headers=bearer(live["access"]))
    logout = outage.call(
        "POST", "/api/v1/auth/logout/", json={"refresh": live["refresh"]}, headers=bearer(live["access"])
    )
    during = outage.call("GET", "/api/v1/users/me/", headers=bearer(live["access"]))
    outage.proxy.open()
    wait_until(lambda: requests.get(f"{outage.base}/ready", timeout=10).status_code == 200, timeout=30)
    after = outage.call("GET", "/api/v1/users/me/", headers=bearer(live["access"]))

    assert before.status_code == 204
    assert still_revoked.status_code == 401, "a session revoked before the outage works again without Redis"
    assert still_revoked.json()["code"] == "session_revoked"
    # No new token for a revoked session: refused as revoked (401) or, like every writing auth operation
    # while the cache is unreachable, refused outright (503).
    assert refresh.status_code in (401, 503) and refresh.headers["Content-Type"].startswith("application/problem")
    assert (refresh.status_code, refresh.json()["code"]) in {(401, "token_not_valid"), (503, "cache_unavailable")}
    assert serving.status_code == 200
    # A logout during the outage either takes effect at once and for good, or is refused visibly
    # (503 problem+json, nothing changed): never a 500, never a revocation lost when Redis returns.
    if logout.status_code == 204:
        assert during.status_code == 401 and after.status_code == 401, "a logout during the outage was lost"
    else:
        assert logout.status_code == 503 and logout.headers["Content-Type"].startswith("application/problem+json")
        assert logout.json()["code"] == "cache_unavailable"
        assert logout.headers.get("Retry-After")
    assert not outage.server_errors(allowed_503=("/auth/logout/", "/auth/token/refresh/"))
    print(
        f"\ndrill redis (revocation): a session revoked before the outage stays 401 (refresh too); a logout "
        f"during it answered {logout.status_code}; that token then {during.status_code}, after recovery "
        f"{after.status_code}"
    )


@pytest.mark.django_db(transaction=True)
def test_redis_outage__lockout_holds(server_user, outage):
    def attempt(password: str) -> requests.Response:
        return outage.call("POST", "/api/v1/auth/token/", json={"email": server_user.email, "password": password})

    failures = [attempt("wrong-password-1") for _ in range(LOCKOUT)]
    locked_before = attempt(DEFAULT_PASSWORD)

    outage.proxy.close()
    locked = attempt(DEFAULT_PASSWORD)
    guesses = [attempt("wrong-password-2") for _ in range(3)]

    assert [failure.status_code for failure in failures] == [401] * LOCKOUT
    assert {failure.json()["code"] for failure in failures} == {"invalid_credentials"}
    assert locked_before.status_code == 429 and locked_before.json()["code"] == "throttled"
    # Holding means no token for the locked account while the counters are unreachable: still 429, or
    # logins refused outright (503, fail closed). Never a 500, never a 200.
    assert locked.status_code in (429, 503), f"the lockout did not hold without Redis: {locked.status_code}"
    assert locked.headers.get("Retry-After")
    assert locked.headers["Content-Type"].startswith("application/problem+json")
    assert (locked.status_code, locked.json()["code"]) in {(429, "throttled"), (503, "cache_unavailable")}
    assert {guess.status_code for guess in guesses} <= {401, 429, 503}
    assert not outage.server_errors(allowed_503=("/auth/token/",))
    print(
        f"\ndrill redis (lockout): locked after {LOCKOUT} failures; during the outage the right password got "
        f"{locked.status_code} (Retry-After {locked.headers.get('Retry-After')}), further guesses "
        f"{sorted({guess.status_code for guess in guesses})}"
    )
