"""Drill: one user's writes to different apps at the same moment (file replace, file upload, config
write) on PostgreSQL under real gunicorn workers.

Shows: no deadlock between the row locks of one app and the audit chain head that every audited write
takes (a deadlock is answered 503 by the database-outage path, so any 503 here is one).
"""

from __future__ import annotations

import collections
import threading

import pytest
import requests
from django.db import connection

from tests.drills.conftest import create_entry
from tests.support.auth import bearer, live_login
from tests.support.servers import gunicorn_server

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]
ROUNDS = 15


@pytest.mark.django_db(transaction=True)
def test_concurrent_writes_of_one_user_across_apps__no_deadlock(server_user):
    if connection.vendor != "postgresql":
        pytest.skip("row-lock deadlocks need PostgreSQL")
    statuses: collections.Counter[str] = collections.Counter()
    with gunicorn_server(workers=4, THROTTLE_USER_RATE="100000/min") as base:
        auth = bearer(live_login(base, server_user.email)["access"])
        api = f"{base}/api/v1"
        file = requests.post(
            f"{api}/files/", headers=auth, timeout=30, files={"file": ("a.bin", b"first", "application/octet-stream")}
        ).json()
        entries = [create_entry(base, auth, namespace=f"mixed-{index}") for index in range(2)]

        def replace(index: int) -> None:
            for round_ in range(ROUNDS):
                response = requests.put(
                    f"{api}/files/{file['id']}/content/",
                    data=b"x" * (index * 100 + round_ + 1),
                    headers={**auth, "Content-Type": "application/octet-stream"},
                    timeout=60,
                )
                statuses[f"PUT content {response.status_code}"] += 1

        def upload(_: int) -> None:
            for round_ in range(ROUNDS):
                response = requests.post(
                    f"{api}/files/",
                    headers=auth,
                    timeout=60,
                    files={"file": ("b.bin", b"y" * (round_ + 1), "application/octet-stream")},
                )
                statuses[f"POST files {response.status_code}"] += 1

        def write(index: int) -> None:
            for round_ in range(ROUNDS):
                current = requests.get(entries[index], headers=auth, timeout=60)
                response = requests.patch(
                    entries[index],
                    json={"value": round_ + 1},
                    timeout=60,
                    headers={**auth, "If-Match": current.headers["ETag"]},
                )
                statuses[f"PATCH entry {response.status_code}"] += 1

        threads = [
            threading.Thread(target=work, args=(index,))
            for work, index in ((replace, 0), (replace, 1), (upload, 0), (write, 0), (write, 1))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)

    assert not [key for key in statuses if not key.endswith(("200", "201", "412"))], dict(statuses)
    print(f"\ndrill mixed writes: {dict(statuses)}")
