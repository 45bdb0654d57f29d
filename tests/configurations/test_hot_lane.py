"""The hot lane (core.lane) through the project's WSGI application, against the real database and cache: what it
answers is what the full stack answers, byte for byte and header for header; whatever it is not sure of goes to
the full stack; it logs and counts like the full stack; a revocation, a write or a throttle is seen at once."""

from __future__ import annotations

import io
import logging
import re
import sys

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from redis.exceptions import ConnectionError as RedisConnectionError

from config.wsgi import ROUTES, django_application
from configurations import services
from configurations.members import member_add
from configurations.models import NamespaceRole
from core import cache as core_cache
from core.lane import Answer, HotLane, LaneRoute
from core.throttles import UserThrottle
from health.metrics import REQUESTS
from tests.configurations.paths import RESOLVED, entry_url
from tests.downloads.factories import make_file
from tests.support.auth import ME_URL, login

FILES_URL = "/api/v1/files/"

pytestmark = pytest.mark.django_db(transaction=True)  # writes must commit: markers change on commit


class Counted:
    """The Django application, counting the requests that reach it."""

    def __init__(self):
        self.calls = 0

    def __call__(self, environ, start_response):
        self.calls += 1
        return django_application(environ, start_response)


@pytest.fixture
def full_stack():
    return Counted()


@pytest.fixture
def lane(full_stack):
    return HotLane(full_stack, ROUTES)


def get(application, path: str, headers: dict[str, str] | None = None, **environ_extra):
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        **environ_extra,
    }
    for name, value in (headers or {}).items():
        environ[f"HTTP_{name.upper().replace('-', '_')}"] = value
    answer: dict = {}

    def start_response(status, header_list, exc_info=None):
        answer["status"], answer["headers"] = int(status.split()[0]), header_list

    body = b"".join(application(environ, start_response))
    return answer["status"], answer["headers"], body


def _comparable(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(name, value) for name, value in headers if name != "X-Request-ID"]


@pytest.fixture
def editor_bearer(editor) -> dict[str, str]:
    return {"Authorization": f"Bearer {login(editor).access}"}


@pytest.fixture
def api_key_header(make_entry, make_api_key) -> dict[str, str]:
    make_entry("timeout", 30)
    make_entry("password", "s3cret", value_type="string", secret=True)
    _, raw_key = make_api_key()
    return {"Authorization": f"Api-Key {raw_key}"}


def _row_query(sql: str) -> bool:
    return "django_cache" not in sql and not sql.startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"))


def _answered_twice(lane, full_stack, path, headers):
    """The full stack's answer (the first fills this process's memory, the second is the lane's lesson), then
    the lane's own, which reaches no Django and no row (the embedded mode's cache is a table, where config.wsgi
    gives the lane no route)."""
    get(lane, path, headers)
    first = get(lane, path, headers)
    calls = full_stack.calls
    with CaptureQueriesContext(connection) as queries:
        again = get(lane, path, headers)
    assert full_stack.calls == calls, "answered by the full stack"
    assert [query["sql"] for query in queries.captured_queries if _row_query(query["sql"])] == []
    return first, again


@pytest.mark.parametrize("variant", ["200", "304"])
def test_resolved_api_key__lane_answer__byte_and_header_identical_to_the_full_stack(
    lane, full_stack, api_key_header, variant
):
    headers = dict(api_key_header)
    if variant == "304":
        headers["If-None-Match"] = get(lane, RESOLVED, api_key_header)[1][0][1]
    first, again = _answered_twice(lane, full_stack, RESOLVED, headers)

    assert again[0] == first[0] == int(variant)
    assert _comparable(again[1]) == _comparable(first[1])
    assert again[2] == first[2]
    assert dict(again[1])["X-Request-ID"] != dict(first[1])["X-Request-ID"]


def test_users_me__lane_answer__identical_to_the_full_stack(lane, full_stack, editor_bearer):
    first, again = _answered_twice(lane, full_stack, ME_URL, editor_bearer)

    assert again[0] == first[0] == 200
    assert _comparable(again[1]) == _comparable(first[1])
    assert again[2] == first[2]


def test_entry__lane_answer__identical_to_the_full_stack(lane, full_stack, editor_bearer, make_entry):
    make_entry("timeout", 30)
    first, again = _answered_twice(lane, full_stack, entry_url("timeout"), editor_bearer)

    assert again[0] == first[0] == 200
    assert _comparable(again[1]) == _comparable(first[1])
    assert again[2] == first[2]


def test_entry__a_secret__always_the_full_stack(lane, full_stack, editor_bearer, make_entry):
    make_entry("password", "s3cret", value_type="string", secret=True)
    get(lane, entry_url("password"), editor_bearer)
    calls = full_stack.calls
    status, _, _ = get(lane, entry_url("password"), editor_bearer)

    assert status == 200
    assert full_stack.calls == calls + 1


def test_entry__after_a_write__the_new_version_at_once(lane, editor, editor_bearer, make_entry):
    entry = make_entry("timeout", 30)
    get(lane, entry_url("timeout"), editor_bearer)
    get(lane, entry_url("timeout"), editor_bearer)
    services.entry_update(entry=entry, fields={"value": 31}, actor=editor, if_match=[entry.etag])

    status, headers, body = get(lane, entry_url("timeout"), editor_bearer)

    assert status == 200
    assert b'"value":31' in body
    assert dict(headers)["ETag"] != entry.etag


def test_resolved_api_key__after_a_write__the_new_document_at_once(lane, api_key_header, environment, editor):
    get(lane, RESOLVED, api_key_header)
    _, _, before = get(lane, RESOLVED, api_key_header)
    entry = environment.entries.get(key="timeout")
    services.entry_update(entry=entry, fields={"value": 99}, actor=editor, if_match=[entry.etag])

    status, _, body = get(lane, RESOLVED, api_key_header)

    assert status == 200
    assert b'"timeout":30' in before
    assert b'"timeout":99' in body


def test_resolved_api_key__revoked__refused_at_once(lane, api_key_header, environment, editor):
    get(lane, RESOLVED, api_key_header)
    get(lane, RESOLVED, api_key_header)
    api_key = environment.api_keys.get()
    services.api_key_revoke(api_key=api_key, actor=editor)

    status, headers, body = get(lane, RESOLVED, api_key_header)

    assert status == 401
    assert b'"code":"authentication_failed"' in body.replace(b" ", b"")
    assert dict(headers)["Content-Type"].startswith("application/problem+json")


def test_users_me__session_ended__refused_at_once(lane, editor):
    tokens = login(editor)
    headers = {"Authorization": f"Bearer {tokens.access}"}
    get(lane, ME_URL, headers)
    get(lane, ME_URL, headers)
    from tests.support.contract import ContractAPIClient

    client = ContractAPIClient()
    client.credentials(**{"HTTP_AUTHORIZATION": headers["Authorization"]})
    assert client.post("/api/v1/auth/logout/", {"refresh": tokens.refresh}).status_code == 204

    status, _, body = get(lane, ME_URL, headers)

    assert status == 401
    assert b'"session_revoked"' in body


def test_users_me__profile_changed__the_new_profile_at_once(lane, editor, editor_bearer):
    get(lane, ME_URL, editor_bearer)
    get(lane, ME_URL, editor_bearer)
    editor.display_name = "Renamed Editor"
    editor.save()

    _, _, body = get(lane, ME_URL, editor_bearer)

    assert b'"display_name":"Renamed Editor"' in body


def test_users_me__per_user_throttle__counts_each_request_once(lane, editor_bearer, monkeypatch):
    monkeypatch.setattr(UserThrottle, "THROTTLE_RATES", {**UserThrottle.THROTTLE_RATES, "user": "3/min"})

    answers = [get(lane, ME_URL, editor_bearer) for _ in range(5)]

    assert [status for status, _, _ in answers] == [200, 200, 200, 429, 429]
    assert b'"code":"throttled"' in answers[-1][2]


@pytest.mark.parametrize(
    ("headers", "environ"),
    [
        ({"Origin": "https://app.example.com"}, {}),
        ({"Cookie": "sessionid=x"}, {}),
        ({"Accept": "text/html"}, {}),
        ({}, {"QUERY_STRING": "at=2026-01-01T00:00:00Z"}),
        ({}, {"REQUEST_METHOD": "HEAD"}),
        ({}, {"HTTP_HOST": "evil.example.com"}),
        ({"Prefer": "wait=1"}, {}),
    ],
    ids=["cors", "cookie", "other-media-type", "query", "head", "unknown-host", "watch"],
)
def test_lane__a_request_it_is_not_sure_of__goes_to_the_full_stack(lane, full_stack, api_key_header, headers, environ):
    get(lane, RESOLVED, api_key_header)  # learnt
    calls = full_stack.calls

    get(lane, RESOLVED, {**api_key_header, **headers}, **environ)

    assert full_stack.calls == calls + 1


def test_lane__unknown_host__the_full_stack_refuses_it(lane, api_key_header):
    get(lane, RESOLVED, api_key_header)

    status, _, body = get(lane, RESOLVED, api_key_header, HTTP_HOST="evil.example.com")

    assert status == 400
    assert b'"code"' in body


def test_lane__cache_down__the_full_stack_answers_from_the_database(lane, full_stack, api_key_header, monkeypatch):
    get(lane, RESOLVED, api_key_header)
    _, _, body = get(lane, RESOLVED, api_key_header)

    def down(*args, **kwargs):
        raise RedisConnectionError("down")

    monkeypatch.setattr(core_cache.cache, "get_many", down)
    calls = full_stack.calls
    status, _, again = get(lane, RESOLVED, api_key_header)

    assert full_stack.calls == calls + 1
    assert status == 200
    assert again == body


def test_lane__an_answer__logged_and_counted_under_the_full_stacks_route(lane, editor, editor_bearer, caplog):
    get(lane, ME_URL, editor_bearer)
    route = "/api/v1/users/me/"
    before = REQUESTS.labels("GET", route, "200")._value.get()

    caplog.clear()
    with caplog.at_level(logging.INFO, logger="app.request"):
        status, headers, _ = get(lane, ME_URL, {**editor_bearer, "X-Request-ID": "lane-request-1"})

    assert status == 200
    assert dict(headers)["X-Request-ID"] == "lane-request-1"
    assert REQUESTS.labels("GET", route, "200")._value.get() == before + 1
    (record,) = [r for r in caplog.records if r.name == "app.request"]
    assert (record.route, record.status, record.user_id, record.client_ip) == (route, 200, str(editor.pk), "127.0.0.1")
    assert record.request_id == "lane-request-1"
    assert "Bearer" not in record.getMessage()


def test_lane__https__learns_its_own_headers(lane, full_stack, editor_bearer, settings):
    settings.SECURE_HSTS_SECONDS = 3600
    get(lane, ME_URL, editor_bearer)
    calls = full_stack.calls

    first = get(lane, ME_URL, editor_bearer, **{"wsgi.url_scheme": "https"})
    again = get(lane, ME_URL, editor_bearer, **{"wsgi.url_scheme": "https"})

    assert full_stack.calls == calls + 1  # the https answer is learnt once, then replayed
    assert "Strict-Transport-Security" in dict(again[1])
    assert _comparable(again[1]) == _comparable(first[1])


def test_lane__its_answer_differs_from_the_full_stacks__never_replayed(full_stack, editor_bearer, caplog):
    wrong = LaneRoute("users-me", re.compile(r"/api/v1/users/me/"), lambda environ: Answer(200, {}, b"{}"), frozenset())
    lane = HotLane(full_stack, [wrong])

    with caplog.at_level(logging.WARNING, logger="core.lane"):
        answers = [get(lane, ME_URL, editor_bearer) for _ in range(3)]

    assert full_stack.calls == 3
    assert all(status == 200 and body != b"{}" for status, _, body in answers)
    assert "answered otherwise than the full stack" in caplog.text


def test_entry__a_members_read__always_the_full_stack(lane, full_stack, user, make_entry, environment, editor):
    user.groups.clear()  # no global role: the namespace membership alone lets the user read
    user.save()
    member_add(namespace=environment.namespace, user_id=user.pk, role=NamespaceRole.VIEWER, actor=editor)
    make_entry("timeout", 30)
    headers = {"Authorization": f"Bearer {login(user).access}"}

    statuses = [get(lane, entry_url("timeout"), headers)[0] for _ in range(3)]

    assert statuses == [200, 200, 200]
    assert full_stack.calls == 3


@pytest.fixture
def owner_bearer(user) -> dict[str, str]:
    make_file(owner=user, name="a.txt")
    return {"Authorization": f"Bearer {login(user).access}"}


def test_files__lane_answer__identical_to_the_full_stack(lane, full_stack, owner_bearer):
    first, again = _answered_twice(lane, full_stack, FILES_URL, owner_bearer)

    assert again[0] == first[0] == 200
    assert _comparable(again[1]) == _comparable(first[1])
    assert again[2] == first[2]
    assert b'"a.txt"' in again[2]


def test_files__after_an_upload__the_new_list_at_once(lane, owner_bearer, user):
    for _ in range(3):
        get(lane, FILES_URL, owner_bearer)
    make_file(owner=user, name="b.txt")

    _, _, body = get(lane, FILES_URL, owner_bearer)

    assert b'"b.txt"' in body


def test_files__an_admins_list__always_the_full_stack(lane, full_stack, admin_user):
    make_file(owner=admin_user, name="a.txt")
    headers = {"Authorization": f"Bearer {login(admin_user).access}"}

    statuses = [get(lane, FILES_URL, headers)[0] for _ in range(3)]

    assert statuses == [200, 200, 200]
    assert full_stack.calls == 3


def test_files__over_https__the_lane_answers_with_the_https_links(lane, full_stack, owner_bearer, user):
    for n in range(60):  # a second page: the first page's `next` link is an absolute URL
        make_file(owner=user, name=f"more-{n:02}.txt")
    https = {"wsgi.url_scheme": "https"}
    get(lane, FILES_URL, owner_bearer, **https)
    first = get(lane, FILES_URL, owner_bearer, **https)
    calls = full_stack.calls

    again = get(lane, FILES_URL, owner_bearer, **https)

    assert full_stack.calls == calls
    assert again[2] == first[2]
    assert b'"next":"https://testserver/api/v1/files/?page=2"' in again[2]
