"""Watch: resolved/ with If-None-Match and `Prefer: wait=N` holds until the document changes."""

import threading
import time

import pytest
from django.contrib.auth.models import Group
from django.db import connection, connections
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.test import APIClient

from accounts.models import RevocationReason
from accounts.roles import Role
from accounts.session_services import sessions_revoke_for_user
from configurations import services, watch
from configurations.members import member_remove
from configurations.models import NamespaceMember
from configurations.resolved import ResolvedDocument
from tests.accounts.factories import UserFactory
from tests.configurations.paths import RESOLVED
from tests.support.auth import login


@pytest.mark.parametrize(
    ("header", "expected"),
    [("wait=5", 5), ("respond-async, wait=10", 10), ("wait=0", None), ("wait=600", 60), ("wait=x", None), ("", None)],
)
def test_parse_wait__rfc7240_preference__clamped(header, expected):
    assert watch.parse_wait(header) == expected


def _later(delay: float, function) -> threading.Thread:
    def run() -> None:
        time.sleep(delay)
        try:
            function()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_watch__write_during_hold__200_with_new_document_etag_and_preference_applied(editor, editor_client, make_entry):
    entry = make_entry("timeout", 30)
    etag = editor_client.get(RESOLVED)["ETag"]
    writer = _later(0.5, lambda: services.entry_update(entry=entry, if_match=None, fields={"value": 31}, actor=editor))

    started = time.monotonic()
    response = editor_client.get(RESOLVED, HTTP_IF_NONE_MATCH=etag, HTTP_PREFER="wait=10")
    elapsed = time.monotonic() - started
    writer.join()

    assert response.status_code == 200
    assert response.json() == {"timeout": 31}
    assert response["ETag"] != etag
    assert response["Preference-Applied"] == "wait=10"
    assert 0.4 < elapsed < 1.6


@pytest.mark.django_db(transaction=True)
def test_watch__no_change__304_after_n_seconds(editor_client, make_entry):
    make_entry("timeout", 30)
    etag = editor_client.get(RESOLVED)["ETag"]

    started = time.monotonic()
    response = editor_client.get(RESOLVED, HTTP_IF_NONE_MATCH=etag, HTTP_PREFER="wait=1")

    assert response.status_code == 304
    assert response["Preference-Applied"] == "wait=1" and response["ETag"] == etag
    assert 0.9 < time.monotonic() - started < 2.5


@pytest.mark.django_db(transaction=True)
def test_watch__write_that_leaves_masked_document_equal__viewer_keeps_waiting(editor, user_client, make_entry):
    entry = make_entry("token", "a", value_type="string", secret=True)
    etag = user_client.get(RESOLVED)["ETag"]
    writer = _later(0.3, lambda: services.entry_update(entry=entry, if_match=None, fields={"value": "b"}, actor=editor))

    response = user_client.get(RESOLVED, HTTP_IF_NONE_MATCH=etag, HTTP_PREFER="wait=2")
    writer.join()

    assert response.status_code == 304


def test_watch__etag_already_stale__200_at_once(editor_client, make_entry):
    make_entry("timeout", 30)

    response = editor_client.get(RESOLVED, HTTP_IF_NONE_MATCH='"old"', HTTP_PREFER="wait=30")

    assert response.status_code == 200 and response.json() == {"timeout": 30}


def test_watch__without_prefer__plain_304(editor_client, make_entry):
    make_entry("timeout", 30)
    etag = editor_client.get(RESOLVED)["ETag"]

    response = editor_client.get(RESOLVED, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304 and not response.has_header("Preference-Applied")


def test_hub__release_all__waiters_answer_none():
    hub = watch.Hub()
    hub._pid = __import__("os").getpid()  # no background loop for this unit test
    waiter = watch.Waiter("ns", "env", False, '"x"')
    threading.Timer(0.2, hub.release_all).start()

    started = time.monotonic()
    assert hub.wait(waiter, 5) is None
    assert time.monotonic() - started < 2
    assert hub.count() == 0


# Access is re-checked when a change wakes a watcher: a revocation during the hold ends it --------------


def _watch_in_thread(client, etag: str, wait: int = 10) -> tuple[threading.Thread, list]:
    answers: list = []

    def run() -> None:
        try:
            answers.append(client.get(RESOLVED, HTTP_IF_NONE_MATCH=etag, HTTP_PREFER=f"wait={wait}"))
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, answers


def _until_held(count: int = 1) -> None:
    deadline = time.monotonic() + 5
    while watch.hub.count() < count and time.monotonic() < deadline:
        time.sleep(0.02)
    assert watch.hub.count() == count


def _answer_to_a_write(client, entry, editor, during_hold=lambda: None):
    """What a watch of `client` answers when `entry` is written while it is held, after `during_hold()`."""
    thread, answers = _watch_in_thread(client, client.get(RESOLVED)["ETag"])
    _until_held()
    during_hold()
    services.entry_update(entry=entry, if_match=None, fields={"value": 31}, actor=editor)
    thread.join(timeout=10)
    (response,) = answers
    return response


@pytest.mark.django_db(transaction=True)
def test_watch__api_key_revoked_during_hold__401_not_the_new_document(editor, make_entry, make_api_key):
    entry = make_entry("timeout", 30)
    api_key, raw_key = make_api_key()
    machine = APIClient()
    machine.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")

    response = _answer_to_a_write(
        machine, entry, editor, during_hold=lambda: services.api_key_revoke(api_key=api_key, actor=editor)
    )

    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == "authentication_failed"
    assert b'"timeout"' not in response.content  # no part of the document (a request id may hold "31")


@pytest.mark.django_db(transaction=True)
def test_watch__session_revoked_during_hold__401_session_revoked(editor, user, make_entry):
    entry = make_entry("timeout", 30)
    viewer = login(user).client()

    response = _answer_to_a_write(
        viewer, entry, editor, during_hold=lambda: sessions_revoke_for_user(user=user, reason=RevocationReason.REVOKED)
    )

    assert response.status_code == 401
    assert response.json()["code"] == "session_revoked"


@pytest.mark.django_db(transaction=True)
def test_watch__membership_removed_during_hold__404(environment, editor, make_entry):
    outsider = UserFactory(role=Role.VIEWER)
    outsider.groups.set([Group.objects.create(name="contractors")])  # a global role that reads nothing
    member = NamespaceMember.objects.create(namespace=environment.namespace, user=outsider, role="viewer")
    entry = make_entry("timeout", 30)
    client = login(outsider).client()

    response = _answer_to_a_write(client, entry, editor, during_hold=lambda: member_remove(member=member, actor=editor))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.django_db(transaction=True)
def test_watch__live_session__woken_with_the_new_document(editor, user, make_entry):
    entry = make_entry("timeout", 30)
    viewer = login(user).client()

    response = _answer_to_a_write(viewer, entry, editor)

    assert response.status_code == 200 and response.json() == {"timeout": 31}


@pytest.mark.django_db(transaction=True)
def test_watch__waiting_request_holds_no_database_connection(editor_client, make_entry, monkeypatch):
    make_entry("timeout", 30)
    etag = editor_client.get(RESOLVED)["ETag"]
    held: list[bool] = []
    original = watch.hub.wait

    def spy(waiter, timeout):
        held.append(any(c.connection is not None for c in connections.all(initialized_only=True)))
        return original(waiter, timeout)

    monkeypatch.setattr(watch.hub, "wait", spy)
    response = editor_client.get(RESOLVED, HTTP_IF_NONE_MATCH=etag, HTTP_PREFER="wait=1")

    assert response.status_code == 304
    assert held == [False]


@pytest.mark.django_db(transaction=True)  # the hub hands its connections back after a change
def test_hub__one_access_check_per_credential_per_change(monkeypatch):
    hub = watch.Hub()
    hub._pid = __import__("os").getpid()
    calls: list[str] = []

    def authorize(name: str):
        def check() -> bool:
            calls.append(name)
            if name == "revoked":
                raise AuthenticationFailed("Invalid API key.")
            return False

        return check

    check = authorize("key")
    waiters = [watch.Waiter("ns", "env", False, '"old"', authorize=check, credential="key") for _ in range(5)]
    refused = watch.Waiter("ns", "env", False, '"old"', authorize=authorize("revoked"), credential="revoked")
    for waiter in [*waiters, refused]:
        hub._waiters.setdefault(("ns", "env"), set()).add(waiter)
    document = ResolvedDocument("m", '"new"', b"{}", ())
    monkeypatch.setattr(watch, "resolved_document", lambda **_: document)

    hub.changed(("ns", "env"))

    assert sorted(calls) == ["key", "revoked"]
    assert all(waiter.document is document and waiter.event.is_set() for waiter in waiters)
    assert refused.document is None and isinstance(refused.refusal, AuthenticationFailed)
