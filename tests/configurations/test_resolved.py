"""The resolved document: one flat object, strong ETag, 304, invalidated by every write, cache failures."""

import json
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from redis.exceptions import ConnectionError as RedisConnectionError

from configurations import resolved, services
from tests.configurations.paths import API_KEYS, ENTRIES, RESOLVED, entry_url


def test_resolved__flat_object_with_strong_etag(user_client, make_entry):
    make_entry("timeout", 30)
    make_entry("features", {"beta": True}, "json")
    make_entry("name", "billing", "string")

    response = user_client.get(RESOLVED)

    assert response.status_code == 200
    assert response.json() == {"features": {"beta": True}, "name": "billing", "timeout": 30}
    assert response["ETag"].startswith('"') and not response["ETag"].startswith("W/")


def test_resolved__if_none_match__returns_304(user_client, make_entry):
    make_entry()
    etag = user_client.get(RESOLVED)["ETag"]

    response = user_client.get(RESOLVED, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response["ETag"] == etag
    assert response.content == b""


def test_resolved__unknown_environment__returns_404(user_client, environment):
    response = user_client.get("/api/v1/namespaces/billing/environments/nope/resolved/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("write", ["update", "create", "delete", "rollback"])
def test_resolved__after_any_write__new_document_and_old_etag_not_304(editor, make_entry, write):
    from tests.support.contract import ContractAPIClient

    client = ContractAPIClient()
    client.force_authenticate(editor)
    entry = make_entry("timeout", 30)
    old = client.get(RESOLVED)
    assert client.get(RESOLVED, HTTP_IF_NONE_MATCH=old["ETag"]).status_code == 304  # cached now

    if write == "update":
        client.put(entry_url("timeout"), {"value": 31}, HTTP_IF_MATCH=entry.etag)
    elif write == "create":
        client.post(ENTRIES, {"key": "retries", "value_type": "integer", "value": 3})
    elif write == "delete":
        client.delete(entry_url("timeout"), HTTP_IF_MATCH=entry.etag)
    else:
        client.put(entry_url("timeout"), {"value": 31}, HTTP_IF_MATCH=entry.etag)
        client.get(RESOLVED)  # cache the intermediate document
        old = client.get(RESOLVED)
        client.post(f"{entry_url('timeout')}rollback/", {"version": 1})

    response = client.get(RESOLVED, HTTP_IF_NONE_MATCH=old["ETag"])

    assert response.status_code == 200
    assert response.json() != old.json()


def test_resolved__warm_cache__one_cache_round_trip_and_no_entry_query(user_client, make_entry):
    make_entry()
    user_client.get(RESOLVED)

    spy = mock.patch("core.cache.get_many", wraps=resolved.cache.get_many)
    with spy as get_many, CaptureQueriesContext(connection) as queries:
        user_client.get(RESOLVED)

    assert get_many.call_count == 1
    assert not [query for query in queries if "configurations_entry" in query["sql"]]


class _DownCache:
    """What django-redis does when Redis is unreachable: every call raises."""

    def __getattr__(self, name):
        return mock.Mock(side_effect=RedisConnectionError("down"))


def test_resolved__cache_down__served_from_database(user_client, make_entry):
    make_entry("timeout", 30)

    with mock.patch("core.cache.cache", _DownCache()):
        response = user_client.get(RESOLVED)

    assert response.status_code == 200
    assert response.json() == {"timeout": 30}


def test_resolved__cache_down_during_write__write_succeeds(
    editor_client, make_entry, make_api_key, django_capture_on_commit_callbacks
):
    entry = make_entry("timeout", 30)
    api_key, _ = make_api_key()

    with mock.patch("core.cache.cache", _DownCache()), django_capture_on_commit_callbacks(execute=True):
        written = editor_client.put(entry_url("timeout"), {"value": 31}, HTTP_IF_MATCH=entry.etag)
        revoked = editor_client.delete(f"{API_KEYS}{api_key.pk}/")

    assert (written.status_code, revoked.status_code) == (200, 204)


def test_resolved__late_reader_storing_old_document__is_never_served(
    user_client, make_entry, django_capture_on_commit_callbacks
):
    entry = make_entry("timeout", 30)
    user_client.get(RESOLVED)  # a marker exists now
    # A reader reads the marker, then the database, before the write...
    marker = resolved.cache.get_many([resolved.marker_key("billing", "production")])[
        resolved.marker_key("billing", "production")
    ]
    stale = resolved._render("billing", "production", marker, clear=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.entry_update(entry=entry, if_match=[entry.etag], fields={"value": 31}, actor=None)
    resolved._store("billing", "production", stale, clear=False)  # ...and stores it after the writer's commit

    assert json.loads(user_client.get(RESOLVED).content) == {"timeout": 31}


def test_resolved__marker_missing_and_taken_by_another_instance__served_not_stored(user_client, make_entry):
    make_entry("timeout", 30)

    with mock.patch("core.cache.add_value", return_value=False):
        response = user_client.get(RESOLVED)

    assert response.json() == {"timeout": 30}
    assert resolved.cache.get_many([resolved.document_key("billing", "production", clear=False)]) == {}


def test_resolved__clear_document_with_secrets__sealed_in_cache(editor_client, make_entry):
    from django.core.cache import cache

    make_entry("db.password", "hunter2", "string", secret=True)
    editor_client.get(RESOLVED)

    cached = cache.get(resolved.document_key("billing", "production", clear=True))

    assert cached is not None and cached[4] is True
    assert b"hunter2" not in cached[2]


def test_resolved__warm__reads_only_the_marker_not_the_document(user_client, make_entry):
    make_entry()
    user_client.get(RESOLVED)

    with mock.patch("core.cache.get_many", wraps=resolved.cache.get_many) as get_many:
        response = user_client.get(RESOLVED)

    assert response.json() == {"timeout": 30}
    assert [call.args[0] for call in get_many.call_args_list] == [[resolved.marker_key("billing", "production")]]


def test_resolved__bearer_token__marker_read_in_the_sessions_round_trip(editor, make_entry):
    from tests.support.auth import login

    make_entry()
    client = login(editor).client()
    client.get(RESOLVED)

    with mock.patch("core.cache.get_many", wraps=resolved.cache.get_many) as get_many:
        response = client.get(RESOLVED)

    assert response.json() == {"timeout": 30}
    assert get_many.call_count == 0


def test_resolved__process_copy_of_an_older_marker__shared_document_read_again(user_client, make_entry):
    make_entry()
    user_client.get(RESOLVED)
    key = resolved.marker_key("billing", "production")
    resolved.cache.set_value(key, "another-instance-wrote", 60)  # a write elsewhere replaced the marker

    with mock.patch("core.cache.get_many", wraps=resolved.cache.get_many) as get_many:
        response = user_client.get(RESOLVED)

    assert response.json() == {"timeout": 30}
    assert get_many.call_count == 2  # the marker, then the document this process has no copy of


def test_memo__bounded_by_bytes__oldest_dropped_oversized_never_kept():
    memo = resolved._Memo(max_bytes=10)
    document = lambda body: resolved.ResolvedDocument("m", "e", body, ())  # noqa: E731

    memo.put("ns", "a", False, document(b"123456"))
    memo.put("ns", "b", False, document(b"1234"))
    memo.put("ns", "c", False, document(b"12"))
    memo.put("ns", "d", False, document(b"x" * 11))

    assert list(memo.documents) == [("ns", "b", False), ("ns", "c", False)]
    assert memo.get("ns", "b", False, "m").body == b"1234"
    assert memo.get("ns", "b", False, "other marker") is None
