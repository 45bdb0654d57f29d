"""Entries through the HTTP API: types and schemas, ETag/If-Match, history, rollback, masking."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from configurations.models import Entry, EntryVersion
from tests.configurations.paths import ENTRIES, entry_url


@pytest.fixture
def entry(make_entry):
    return make_entry()


def test_entry_create__valid__returns_201_version_1_with_etag(editor_client, environment, editor):
    response = editor_client.post(ENTRIES, {"key": "db.pool-size", "value_type": "integer", "value": 5})

    assert response.status_code == 201
    body = response.json()
    assert (body["key"], body["value"], body["version"], body["updated_by"]) == ("db.pool-size", 5, 1, str(editor.pk))
    entry = Entry.objects.get(key="db.pool-size")
    assert response["ETag"] == entry.etag
    assert list(entry.versions.values_list("version", "change")) == [(1, "created")]
    assert AuditEvent.objects.filter(action="config.entry.created", target_id=str(entry.pk)).exists()


@pytest.mark.parametrize(
    ("value_type", "value"),
    [("integer", "5"), ("integer", True), ("integer", 1.5), ("number", "1"), ("boolean", 0), ("string", 3)],
)
def test_entry_create__value_of_wrong_type__returns_400(editor_client, environment, value_type, value):
    response = editor_client.post(ENTRIES, {"key": "k", "value_type": value_type, "value": value})

    assert response.status_code == 400
    assert response.json()["code"] == "type_mismatch"
    assert response.json()["errors"][0]["field"] == "value"
    assert not Entry.objects.exists()


def test_entry_create__value_breaks_schema__400_points_at_failing_part(editor_client, environment):
    schema = {
        "type": "object",
        "properties": {
            "servers": {
                "type": "array",
                "items": {"type": "object", "properties": {"port": {"type": "integer", "maximum": 65535}}},
            }
        },
    }
    value = {"servers": [{"port": 80}, {"port": 70000}]}

    response = editor_client.post(ENTRIES, {"key": "net", "value_type": "json", "value": value, "schema": schema})

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(error["field"], error["code"]) for error in errors] == [("value.servers.1.port", "schema_mismatch")]


def test_entry_create__invalid_schema__returns_400(editor_client, environment):
    response = editor_client.post(ENTRIES, {"key": "k", "value_type": "json", "value": 1, "schema": {"type": "nope"}})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_schema"
    assert response.json()["errors"][0]["field"].startswith("schema")


@pytest.mark.parametrize(
    ("key", "code"),
    [("has space", "validation_error"), ("a/b", "validation_error"), ("x" * 129, "validation_error"), ("", "blank")],
)
def test_entry_create__bad_key__returns_400(editor_client, environment, key, code):
    response = editor_client.post(ENTRIES, {"key": key, "value_type": "string", "value": "v"})

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert {error["field"] for error in response.json()["errors"]} == {"key"}


def test_entry_create__unknown_field__returns_400(editor_client, environment):
    response = editor_client.post(ENTRIES, {"key": "k", "value_type": "string", "value": "v", "colour": "red"})

    assert response.status_code == 400
    assert response.json()["errors"][0] == {"field": "colour", "code": "unknown_field", "message": "Unknown field."}


def test_entry_create__existing_key__returns_409(editor_client, entry):
    response = editor_client.post(ENTRIES, {"key": entry.key, "value_type": "integer", "value": 1})

    assert response.status_code == 409
    assert response.json()["code"] == "entry_exists"


def test_entry_create__viewer__returns_403(user_client, environment):
    response = user_client.post(ENTRIES, {"key": "k", "value_type": "string", "value": "v"})

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_entry_list__viewer__paginated(user_client, make_entry):
    make_entry("a", 1)
    make_entry("b", 2)

    response = user_client.get(ENTRIES)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [item["key"] for item in body["results"]] == ["a", "b"]


def test_entry_list__unknown_environment__returns_404(user_client, environment):
    response = user_client.get("/api/v1/namespaces/billing/environments/staging/entries/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_entry_retrieve__sends_strong_etag(user_client, entry):
    response = user_client.get(entry_url(entry.key))

    assert response.status_code == 200
    assert response["ETag"] == f'"{entry.pk}.1"'
    assert response.json()["value"] == 30


def test_entry_update__without_if_match__returns_428(editor_client, entry):
    response = editor_client.put(entry_url(entry.key), {"value": 31})

    assert response.status_code == 428
    assert response.json()["code"] == "precondition_required"
    entry.refresh_from_db()
    assert entry.version == 1


def test_entry_update__stale_etag__returns_412(editor_client, entry):
    editor_client.put(entry_url(entry.key), {"value": 31}, HTTP_IF_MATCH=entry.etag)

    response = editor_client.put(entry_url(entry.key), {"value": 32}, HTTP_IF_MATCH=entry.etag)

    assert response.status_code == 412
    assert response.json()["code"] == "precondition_failed"
    assert response["Content-Type"].startswith("application/problem+json")
    entry.refresh_from_db()
    assert (entry.version, entry.value) == (2, 31)


def test_entry_update__weak_etag__does_not_match(editor_client, entry):
    response = editor_client.put(entry_url(entry.key), {"value": 31}, HTTP_IF_MATCH=f"W/{entry.etag}")

    assert response.status_code == 412
    assert response.json()["code"] == "precondition_failed"


def test_entry_update__current_etag__new_version_and_etag(editor_client, entry, editor):
    response = editor_client.put(entry_url(entry.key), {"value": 45}, HTTP_IF_MATCH=entry.etag)

    assert response.status_code == 200
    assert response.json()["version"] == 2
    assert response["ETag"] == f'"{entry.pk}.2"'
    event = AuditEvent.objects.get(action="config.entry.updated")
    assert event.changes == {"value": {"from": 30, "to": 45}}
    assert event.actor == str(editor.pk)


def test_entry_patch__changes_type_without_value_that_no_longer_fits__returns_400(editor_client, entry):
    response = editor_client.patch(entry_url(entry.key), {"value_type": "string"}, HTTP_IF_MATCH=entry.etag)

    assert response.status_code == 400
    assert response.json()["code"] == "type_mismatch"
    entry.refresh_from_db()
    assert entry.value_type == "integer"


def test_entry_patch__description_only__new_version(editor_client, entry):
    response = editor_client.patch(entry_url(entry.key), {"description": "seconds"}, HTTP_IF_MATCH=entry.etag)

    assert response.status_code == 200
    assert (response.json()["description"], response.json()["value"], response.json()["version"]) == ("seconds", 30, 2)


def test_entry_put__value_missing__returns_400(editor_client, entry):
    response = editor_client.put(entry_url(entry.key), {"description": "x"}, HTTP_IF_MATCH=entry.etag)

    assert response.status_code == 400
    assert response.json()["code"] == "required"


def test_entry_put__value_breaks_existing_schema__returns_400(editor_client, make_entry):
    entry = make_entry("port", 80, schema={"type": "integer", "minimum": 1, "maximum": 65535})

    response = editor_client.put(entry_url("port"), {"value": 0}, HTTP_IF_MATCH=entry.etag)

    assert response.status_code == 400
    assert response.json()["code"] == "schema_mismatch"
    assert response.json()["errors"][0]["field"] == "value"


def test_entry_versions__newest_first(user_client, editor_client, entry):
    editor_client.put(entry_url(entry.key), {"value": 31}, HTTP_IF_MATCH=entry.etag)

    response = user_client.get(f"{entry_url(entry.key)}versions/")

    assert response.status_code == 200
    assert [(v["version"], v["value"], v["change"]) for v in response.json()["results"]] == [
        (2, 31, "updated"),
        (1, 30, "created"),
    ]


def test_entry_rollback__creates_new_version_with_old_value(editor_client, entry):
    editor_client.put(entry_url(entry.key), {"value": 31}, HTTP_IF_MATCH=entry.etag)

    response = editor_client.post(f"{entry_url(entry.key)}rollback/", {"version": 1})

    assert response.status_code == 200
    assert (response.json()["version"], response.json()["value"]) == (3, 30)
    assert list(EntryVersion.objects.filter(entry=entry).values_list("version", "change")) == [
        (3, "rolled_back"),
        (2, "updated"),
        (1, "created"),
    ]
    assert AuditEvent.objects.get(action="config.entry.rolled_back").changes["restored_version"] == 1


def test_entry_rollback__unknown_version__returns_400(editor_client, entry):
    response = editor_client.post(f"{entry_url(entry.key)}rollback/", {"version": 9})

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert response.json()["errors"][0]["field"] == "version"


def test_entry_rollback__stale_if_match__returns_412(editor_client, entry):
    response = editor_client.post(f"{entry_url(entry.key)}rollback/", {"version": 1}, HTTP_IF_MATCH='"0.0"')

    assert response.status_code == 412
    assert response.json()["code"] == "precondition_failed"


def test_entry_delete__keeps_history_and_needs_if_match(editor_client, entry):
    answer = editor_client.delete(entry_url(entry.key))
    assert answer.status_code == 428
    assert answer.json()["code"] == "precondition_required"

    response = editor_client.delete(entry_url(entry.key), HTTP_IF_MATCH=entry.etag)

    assert response.status_code == 204
    assert not Entry.objects.filter(pk=entry.pk).exists()
    # The history stays, closed by a tombstone that records when the entry was deleted (time travel).
    versions = EntryVersion.objects.filter(key=entry.key).values_list("version", "entry", "change")
    assert list(versions) == [(2, None, "deleted"), (1, None, "created")]
    assert AuditEvent.objects.filter(action="config.entry.deleted", target_id=str(entry.pk)).exists()
    refused = editor_client.get(entry_url(entry.key))
    assert refused.status_code == 404
    assert refused.json()["code"] == "not_found"


def test_entry_recreated_after_delete__starts_at_version_1_with_new_etag(editor_client, entry):
    editor_client.delete(entry_url(entry.key), HTTP_IF_MATCH=entry.etag)

    response = editor_client.post(ENTRIES, {"key": entry.key, "value_type": "integer", "value": 1})

    assert response.status_code == 201
    assert response.json()["version"] == 1
    assert response["ETag"] != entry.etag


def test_entry_version__is_immutable(entry):
    version = entry.versions.get()
    version.value = 99

    with pytest.raises(ValueError, match="immutable"):
        version.save()


def test_entry_create__environment_and_author_not_looked_up_again(editor_client, environment):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    editor_client.post(ENTRIES, {"key": "warm", "value_type": "integer", "value": 1})
    with CaptureQueriesContext(connection) as queries:
        response = editor_client.post(ENTRIES, {"key": "retries", "value_type": "integer", "value": 3})

    assert response.status_code == 201
    assert not [query for query in queries.captured_queries if query["sql"].startswith('SELECT 1 AS "a"')]


STAR = {"HTTP_IF_MATCH": "*"}


@pytest.mark.parametrize(
    ("path", "headers", "body", "detail"),
    [
        (entry_url("nope"), {}, {"value": 1}, "No such entry."),
        (entry_url("nope"), STAR, {"value": 1, "unknown": 2}, "No such entry."),
        (entry_url("nope"), STAR, {"value": 1}, "No such entry."),
        ("/api/v1/namespaces/billing/environments/nope/entries/timeout/", {}, {"value": 1}, "No such environment."),
        ("/api/v1/namespaces/x/environments/production/entries/timeout/", STAR, {"value": 1}, "No such environment."),
    ],
)
def test_entry_patch__missing_entry__404_before_428_and_400(editor_client, entry, path, headers, body, detail):
    response = editor_client.patch(path, body, **headers)

    assert response.status_code == 404
    assert response.json()["detail"] == detail


def _statement(sql: str) -> str:
    """A query's verb and first table, e.g. 'SELECT configurations_entry FOR UPDATE'."""
    tables = re.findall(r'(?:FROM|INTO|UPDATE) "(\w+)"', sql)
    shape = f"{sql.split(None, 1)[0]} {tables[0]}" if tables else sql.strip()
    return shape + (" FOR UPDATE" if re.search(r"\bFOR UPDATE\b", sql) else "")


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_entry_patch__if_match_star__one_locking_read_and_one_statement_seal(editor_client, make_entry):
    if connection.vendor != "postgresql":
        pytest.skip("the statements are PostgreSQL's (the embedded mode seals in Python)")
    entry = make_entry("timeout", 30)
    make_entry("warm", 1)
    editor_client.patch(entry_url("warm"), {"value": 2}, HTTP_IF_MATCH="*")  # permissions, principal
    with CaptureQueriesContext(connection) as queries:
        response = editor_client.patch(entry_url("timeout"), {"value": 31}, HTTP_IF_MATCH="*")

    assert response.status_code == 200
    assert [_statement(query["sql"]) for query in queries.captured_queries] == [
        "BEGIN",
        "SELECT configurations_entry FOR UPDATE",  # found by its URL, with environment and namespace
        "UPDATE configurations_entry",
        "INSERT configurations_entryversion",
        "INSERT audit_auditevent",
        "SELECT webhooks_webhook",
        "COMMIT",
        "SELECT audit_seal_pending()",  # the seal: a transaction of its own, one statement
    ]
    assert AuditEvent.objects.get(action="config.entry.updated", target_id=str(entry.pk)).hash
