"""Watch under real gunicorn (gevent workers): a write through one instance wakes the watchers held by
another within a second, while the holding instance keeps answering other requests."""

import threading
import time

import pytest
import requests

from tests.configurations.paths import RESOLVED, entry_url
from tests.support.auth import bearer, login
from tests.support.servers import gunicorn_server

pytestmark = [pytest.mark.django_db(transaction=True)]
WATCHERS = 40


def test_watchers_on_one_instance__write_through_another__all_woken_within_1s(editor, make_entry, make_api_key):
    make_entry("timeout", 30)
    _, raw_key = make_api_key()
    machine = {"Authorization": f"Api-Key {raw_key}"}
    with gunicorn_server(workers=1) as holder, gunicorn_server() as writer:
        human = bearer(login(editor).access)
        etag = requests.get(f"{holder}{RESOLVED}", headers=machine, timeout=10).headers["ETag"]
        results: list[tuple[int, float, str]] = []
        lock = threading.Lock()

        def watch() -> None:
            headers = {**machine, "If-None-Match": etag, "Prefer": "wait=20"}
            response = requests.get(f"{holder}{RESOLVED}", headers=headers, timeout=30)
            with lock:
                results.append((response.status_code, time.monotonic(), response.headers.get("Preference-Applied")))

        threads = [threading.Thread(target=watch) for _ in range(WATCHERS)]
        for thread in threads:
            thread.start()
        time.sleep(2)  # all held
        assert results == []
        started = time.monotonic()
        assert requests.get(f"{holder}/health", timeout=5).status_code == 200  # one worker, still answering
        assert time.monotonic() - started < 1
        current = requests.get(f"{writer}{entry_url('timeout')}", headers=human, timeout=10)
        sent = time.monotonic()
        written = requests.patch(
            f"{writer}{entry_url('timeout')}",
            json={"value": 31},
            headers={**human, "If-Match": current.headers["ETag"]},
            timeout=10,
        )
        assert written.status_code == 200
        for thread in threads:
            thread.join(timeout=30)

    assert len(results) == WATCHERS
    assert {status for status, _, _ in results} == {200}
    assert {applied for _, _, applied in results} == {"wait=20"}
    assert max(arrival - sent for _, arrival, _ in results) < 1.0
