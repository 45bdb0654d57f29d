"""Realistic traffic against a seeded stack (see loadtests/run.py, which seeds and points LOAD_SEED here).

Mix, by share of virtual users:
- ConfigClient (50 %): machine clients reading their environment by API key, with `If-None-Match`
  (mostly 304), now and then the entry list.
- Person (25 %): people who log in, read their profile and configuration, refresh their session
  (rotation: each keeps its own refresh token) and download ranges of their own file.
- Editor (12 %): logs in, reads an entry for its ETag, writes it with `If-Match`, reads its versions.
  Each editor owns one key, so a 412 would be a real lost-update bug, not a race of the scenario.
- Auditor (5 %): reads the audit trail, filtered and paged by cursor, and single events.
- Downloader (8 %): ranged, conditional and HEAD requests on its own file.

Anything but the expected status is a failure named by status; 429s show up as their own kind.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import threading

from locust import HttpUser, between, task

SEED = json.loads(open(os.environ.get("LOAD_SEED", "var/proof-load/seed.json")).read())  # noqa: SIM115
CONFIG = SEED["config"]
ENV_PATH = f"/api/v1/namespaces/{CONFIG['namespace']}/environments/{CONFIG['environment']}"
_counters: dict[str, itertools.count] = {}
_lock = threading.Lock()


def _next(kind: str) -> int:
    with _lock:
        return next(_counters.setdefault(kind, itertools.count()))


def _expect(response, *statuses: int) -> None:
    if response.status_code in statuses:
        response.success()
    else:
        response.failure(f"HTTP {response.status_code}")


class _Authenticated(HttpUser):
    abstract = True
    role = "viewer"

    def on_start(self) -> None:
        users = SEED["users"][self.role]
        self.email = users[_next(self.role) % len(users)]
        self.login()

    def login(self) -> None:
        with self.client.post(
            "/api/v1/auth/token/",
            json={"email": self.email, "password": SEED["password"]},
            name="POST /auth/token/",
            catch_response=True,
        ) as response:
            _expect(response, 200)
            if response.status_code == 200:
                body = response.json()
                self.refresh_token = body["refresh"]
                self.client.headers["Authorization"] = f"Bearer {body['access']}"

    def refresh(self) -> None:
        with self.client.post(
            "/api/v1/auth/token/refresh/",
            json={"refresh": self.refresh_token},
            name="POST /auth/token/refresh/",
            catch_response=True,
        ) as response:
            _expect(response, 200)
            if response.status_code == 200:
                body = response.json()
                self.refresh_token = body["refresh"]
                self.client.headers["Authorization"] = f"Bearer {body['access']}"


class ConfigClient(HttpUser):
    weight = 50
    wait_time = between(0.5, 2)

    def on_start(self) -> None:
        keys = CONFIG["api_keys"]
        self.client.headers["Authorization"] = f"Api-Key {keys[_next('client') % len(keys)]}"
        self.etag: str | None = None

    @task(10)
    def resolved(self) -> None:
        headers = {"If-None-Match": self.etag} if self.etag else {}
        with self.client.get(
            f"{ENV_PATH}/resolved/",
            headers=headers,
            name="GET resolved (Api-Key, If-None-Match)",
            catch_response=True,
        ) as response:
            _expect(response, 200, 304)
            if response.status_code == 200:
                self.etag = response.headers.get("ETag")

    @task(1)
    def entries(self) -> None:
        with self.client.get(f"{ENV_PATH}/entries/", name="GET entries (Api-Key)", catch_response=True) as response:
            _expect(response, 200)


class Person(_Authenticated):
    weight = 25
    wait_time = between(1, 3)

    @task(3)
    def me(self) -> None:
        with self.client.get("/api/v1/users/me/", name="GET /users/me/", catch_response=True) as response:
            _expect(response, 200)

    @task(3)
    def entries(self) -> None:
        with self.client.get(f"{ENV_PATH}/entries/", name="GET entries", catch_response=True) as response:
            _expect(response, 200)

    @task(2)
    def entry(self) -> None:
        key = random.choice(CONFIG["read_keys"])
        with self.client.get(f"{ENV_PATH}/entries/{key}/", name="GET entry", catch_response=True) as response:
            _expect(response, 200)

    @task(1)
    def rotate(self) -> None:
        self.refresh()

    @task(1)
    def sessions(self) -> None:
        with self.client.get("/api/v1/auth/sessions/", name="GET /auth/sessions/", catch_response=True) as response:
            _expect(response, 200)

    @task(1)
    def files(self) -> None:
        with self.client.get("/api/v1/files/", name="GET /files/", catch_response=True) as response:
            _expect(response, 200)


class Editor(_Authenticated):
    weight = 12
    wait_time = between(1, 3)
    role = "editor"

    def on_start(self) -> None:
        super().on_start()
        keys = CONFIG["edit_keys"]
        self.key = keys[SEED["users"]["editor"].index(self.email) % len(keys)]

    @task(3)
    def write(self) -> None:
        path = f"{ENV_PATH}/entries/{self.key}/"
        with self.client.get(path, name="GET entry (for ETag)", catch_response=True) as response:
            _expect(response, 200)
            etag = response.headers.get("ETag")
            value = response.json().get("value", 0) if response.status_code == 200 else 0
        if not etag:
            return
        with self.client.patch(
            path,
            json={"value": int(value) + 1},
            headers={"If-Match": etag},
            name="PATCH entry (If-Match)",
            catch_response=True,
        ) as response:
            _expect(response, 200)

    @task(1)
    def versions(self) -> None:
        with self.client.get(
            f"{ENV_PATH}/entries/{self.key}/versions/", name="GET entry versions", catch_response=True
        ) as response:
            _expect(response, 200)

    @task(1)
    def rotate(self) -> None:
        self.refresh()


class Auditor(_Authenticated):
    weight = 5
    wait_time = between(2, 5)
    role = "auditor"

    @task(3)
    def events(self) -> None:
        with self.client.get("/api/v1/audit/events/", name="GET audit events", catch_response=True) as response:
            _expect(response, 200)
            if response.status_code != 200:
                return
            page = response.json()
        if page.get("next"):
            with self.client.get(page["next"], name="GET audit events (next cursor)", catch_response=True) as nxt:
                _expect(nxt, 200)
        if page.get("results"):
            event_id = random.choice(page["results"])["id"]
            with self.client.get(
                f"/api/v1/audit/events/{event_id}/", name="GET audit event", catch_response=True
            ) as response:
                _expect(response, 200)

    @task(1)
    def filtered(self) -> None:
        with self.client.get(
            "/api/v1/audit/events/",
            params={"action": "config.entry.updated"},
            name="GET audit events ?action=",
            catch_response=True,
        ) as response:
            _expect(response, 200)


class Downloader(_Authenticated):
    weight = 8
    wait_time = between(1, 3)

    def on_start(self) -> None:
        super().on_start()
        self.content = f"/api/v1/files/{SEED['files'][self.email]}/content/"
        self.size = SEED["file_size"]
        self.etag: str | None = None

    @task(4)
    def range(self) -> None:
        start = random.randrange(self.size - 1)
        end = min(self.size - 1, start + random.choice((1023, 16383, 65535)))
        with self.client.get(
            self.content,
            headers={"Range": f"bytes={start}-{end}"},
            name="GET file content (Range)",
            catch_response=True,
        ) as response:
            _expect(response, 206)
            if response.status_code == 206 and len(response.content) != end - start + 1:
                response.failure("wrong range length")
            self.etag = response.headers.get("ETag", self.etag)

    @task(1)
    def resume(self) -> None:
        if not self.etag:
            return
        with self.client.get(
            self.content,
            headers={"Range": "bytes=-4096", "If-Range": self.etag},
            name="GET file content (If-Range)",
            catch_response=True,
        ) as response:
            _expect(response, 206)

    @task(1)
    def whole(self) -> None:
        headers = {"If-None-Match": self.etag} if self.etag and random.random() < 0.5 else {}
        with self.client.get(self.content, headers=headers, name="GET file content", catch_response=True) as response:
            _expect(response, 200, 304)

    @task(1)
    def head(self) -> None:
        with self.client.head(self.content, name="HEAD file content", catch_response=True) as response:
            _expect(response, 200)
