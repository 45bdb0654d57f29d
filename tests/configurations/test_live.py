"""Real processes: two gunicorn instances sharing one database and cache; a Redis that is down."""

import pytest
import requests

from tests.configurations.paths import RESOLVED, entry_url
from tests.support.auth import bearer, login
from tests.support.servers import gunicorn_server

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_two_instances__write_through_a__resolved_and_entry_through_b_new_at_once(editor, make_entry, make_api_key):
    entry = make_entry("timeout", 30)
    _, raw_key = make_api_key()
    machine = {"Authorization": f"Api-Key {raw_key}"}
    with gunicorn_server() as a, gunicorn_server() as b:
        human = bearer(login(editor).access)
        old = requests.get(f"{b}{RESOLVED}", headers=machine, timeout=10)
        assert old.json() == {"timeout": 30}
        cached = requests.get(f"{b}{RESOLVED}", headers={**machine, "If-None-Match": old.headers["ETag"]}, timeout=10)
        assert cached.status_code == 304
        for _ in range(4):  # B's workers remember the entry (configurations.selectors)
            assert requests.get(f"{b}{entry_url('timeout')}", headers=human, timeout=10).json()["value"] == 30

        for value in (31, 32, 33):  # several rounds: each must be visible on B at once
            current = requests.get(f"{a}{entry_url('timeout')}", headers=human, timeout=10)
            written = requests.put(
                f"{a}{entry_url('timeout')}",
                json={"value": value},
                headers={**human, "If-Match": current.headers["ETag"]},
                timeout=10,
            )
            assert written.status_code == 200
            fresh = requests.get(
                f"{b}{RESOLVED}", headers={**machine, "If-None-Match": old.headers["ETag"]}, timeout=10
            )
            assert fresh.status_code == 200
            assert fresh.json() == {"timeout": value}
            assert fresh.headers["ETag"] != old.headers["ETag"]
            again = requests.get(f"{b}{RESOLVED}", headers=machine, timeout=10)  # from the second round: the lane's
            assert (again.json(), again.headers["ETag"]) == ({"timeout": value}, fresh.headers["ETag"])
            old = fresh
            on_b = requests.get(f"{b}{entry_url('timeout')}", headers=human, timeout=10)
            assert (on_b.json()["value"], on_b.headers["ETag"]) == (value, written.headers["ETag"])
        assert entry.versions.count() == 4


def test_redis_down__api_key_read_served_from_database(make_entry, make_api_key):
    make_entry("timeout", 30)
    _, raw_key = make_api_key()

    # Port 1 on loopback: nothing listens, so django-redis fails on every call.
    with gunicorn_server(REDIS_URL="redis://127.0.0.1:1/0") as base_url:
        response = requests.get(f"{base_url}{RESOLVED}", headers={"Authorization": f"Api-Key {raw_key}"}, timeout=10)

    assert response.status_code == 200
    assert response.json() == {"timeout": 30}
