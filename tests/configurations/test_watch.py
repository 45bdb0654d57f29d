"""Watch: resolved/ with If-None-Match and `Prefer: wait=N` holds until the document changes."""

import threading
import time

import pytest
from django.db import connection

from configurations import services, watch
from tests.configurations.paths import RESOLVED


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
