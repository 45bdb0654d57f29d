"""Two gunicorn instances sharing one database and cache: revocation and throttles hold across them."""

import pytest
import requests

from tests.support.auth import ME_URL, bearer, login
from tests.support.servers import gunicorn_server

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# The logins are in-process (the servers do not know the test settings' fast hasher; the JWT and its committed
# session row are valid there), from an address of their own, so they are no part of 127.0.0.1's auth budget:
# a sliding window would count them at a weight that decays while the servers start.
OWN_ADDRESS = "192.0.2.10"


def test_two_instances__logout_through_a__access_token_refused_by_b_on_the_next_request(user):
    tokens = login(user, REMOTE_ADDR=OWN_ADDRESS)
    headers = bearer(tokens.access)
    with gunicorn_server() as a, gunicorn_server() as b:
        # B has it cached; the third answer is the hot lane's own (core.lane), which also meets the revocation
        for _ in range(3):
            assert requests.get(f"{b}{ME_URL}", headers=headers, timeout=10).status_code == 200

        logout = requests.post(
            f"{a}/api/v1/auth/logout/", json={"refresh": tokens.refresh}, headers=headers, timeout=10
        )
        assert logout.status_code == 204

        refused = requests.get(f"{b}{ME_URL}", headers=headers, timeout=10)
        assert refused.status_code == 401
        assert refused.json()["code"] == "session_revoked"


def test_two_instances__per_user_and_per_ip_throttles__one_budget_across_both(user):
    headers = bearer(login(user, REMOTE_ADDR=OWN_ADDRESS).access)
    rates = {"THROTTLE_USER_RATE": "6/min", "THROTTLE_AUTH_RATE": "5/min"}
    reset = {"email": "nobody@example.com"}
    with gunicorn_server(**rates) as a, gunicorn_server(**rates) as b:
        user_statuses = [requests.get(f"{s}{ME_URL}", headers=headers, timeout=10).status_code for s in (a, b) * 4]
        anon_statuses = [  # anonymous: counted by client ip
            requests.post(f"{s}/api/v1/auth/password/reset/", json=reset, timeout=10).status_code for s in (a, b) * 3
        ]
        limited = requests.get(f"{a}{ME_URL}", headers=headers, timeout=10)

    assert user_statuses == [200] * 6 + [429] * 2
    assert anon_statuses == [202] * 5 + [429]
    assert limited.json()["code"] == "throttled"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
