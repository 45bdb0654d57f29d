"""Drill: Redis goes away while the app serves.

Shows: the API keeps answering from the database (profile, configuration by API key), /ready names the
cache as failed, a logout still revokes at once, the lockout still locks, and nothing answers 500.
"""
from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
from django.conf import settings

from tests.accounts.factories import DEFAULT_PASSWORD
from tests.drills.conftest import bearer, create_entry, login, wait_until
from tests.drills.proxy import TcpProxy
from tests.support.servers import gunicorn_server

pytestmark = pytest.mark.slow
LOCKOUT = 5


@pytest.mark.django_db(transaction=True)
def test_redis_outage__api_serves_from_database__revocation_and_lockout_hold(server_user):
    if not settings.REDIS_URL:
        pytest.skip("the Redis drill needs REDIS_URL (the embedded mode has no Redis)")
    redis = urlsplit(settings.REDIS_URL)
    responses: list[requests.Response] = []

    def call(method: str, url: str, **kwargs) -> requests.Response:
        response = requests.request(method, url, timeout=30, **kwargs)
        responses.append(response)
        return response

    with TcpProxy(redis.hostname or "127.0.0.1", redis.port or 6379) as proxy:
        proxied = urlunsplit(redis._replace(netloc=f"127.0.0.1:{proxy.port}"))
        with gunicorn_server(workers=2, REDIS_URL=proxied, LOCKOUT_FAILURES=str(LOCKOUT)) as base:
            api = f"{base}/api/v1"
            kept, revoked = login(base, server_user.email), login(base, server_user.email)
            entry_url = create_entry(base, bearer(kept), namespace="redis-drill")
            environment = entry_url.split("entries/")[0]
            key = call("POST", f"{environment}api-keys/", json={"name": "drill"}, headers=bearer(kept)).json()["key"]
            api_key = {"Authorization": f"Api-Key {key}"}
            before = call("GET", f"{environment}resolved/", headers=api_key)

            proxy.cut()
            ready = call("GET", f"{base}/ready")
            me = call("GET", f"{api}/users/me/", headers=bearer(kept))
            resolved = call("GET", f"{environment}resolved/", headers=api_key)
            etag = {"If-None-Match": before.headers["ETag"]}
            conditional = call("GET", f"{environment}resolved/", headers={**api_key, **etag})
            logout = call("POST", f"{api}/auth/logout/", json={"refresh": revoked["refresh"]}, headers=bearer(revoked))
            after_logout = call("GET", f"{api}/users/me/", headers=bearer(revoked))
            failures = [
                call("POST", f"{api}/auth/token/", json={"email": server_user.email, "password": "wrong-password-1"})
                for _ in range(LOCKOUT)
            ]
            locked = call("POST", f"{api}/auth/token/", json={"email": server_user.email, "password": DEFAULT_PASSWORD})

            proxy.restore()
            wait_until(lambda: requests.get(f"{base}/ready", timeout=10).status_code == 200, timeout=30)
            still_revoked = call("GET", f"{api}/users/me/", headers=bearer(revoked))

    assert before.status_code == 200
    assert ready.status_code == 503 and ready.json()["checks"]["cache"]["status"] == "fail"
    assert ready.json()["checks"]["database"]["status"] == "ok"
    assert me.status_code == 200 and me.json()["email"] == server_user.email
    assert resolved.status_code == 200 and resolved.json() == {"counter": 0}
    assert conditional.status_code == 304
    assert logout.status_code == 204
    assert after_logout.status_code == 401, "a logout during a Redis outage did not revoke the access token"
    assert still_revoked.status_code == 401
    assert [failure.status_code for failure in failures] == [401] * LOCKOUT
    assert locked.status_code == 429 and locked.headers.get("Retry-After"), "lockout did not hold without Redis"
    assert not [f"{r.request.method} {r.url}" for r in responses if r.status_code >= 500 and r.url != f"{base}/ready"]
    print("\ndrill redis: /ready 503 (cache failed, database ok); profile 200 and resolved config 200/304 from the "
          "database; logout revoked at once (401); lockout 429 after "
          f"{LOCKOUT} failures; no 5xx in {len(responses)} API responses")
