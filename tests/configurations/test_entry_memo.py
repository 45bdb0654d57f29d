"""One entry's GET with a real credential: the process remembers the entry under its environment's marker
(read in the authentication's round trip), so a repeated GET reads no entry row, and every write, on any
instance, is seen by the next GET (it replaces the marker after its commit)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from redis.exceptions import ConnectionError as RedisConnectionError

from accounts import revocation
from configurations import selectors, services
from configurations.models import Entry
from tests.configurations.paths import entry_url
from tests.support.auth import login
from tests.support.contract import ContractAPIClient

pytestmark = pytest.mark.django_db(transaction=True)  # writes must commit: the marker changes on commit


@pytest.fixture(autouse=True)
def _fresh_memo(monkeypatch):
    monkeypatch.setattr(selectors, "_ENTRIES", {})


@pytest.fixture
def bearer_client(editor) -> ContractAPIClient:
    return login(editor).client()


def _entry_reads(client, key: str = "timeout"):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(entry_url(key))
    return response, [query for query in queries.captured_queries if Entry._meta.db_table in query["sql"]]


def test_entry_get__repeated__no_entry_query(bearer_client, make_entry):
    make_entry("timeout", 30)
    first, first_reads = _entry_reads(bearer_client)
    again, reads = _entry_reads(bearer_client)

    assert len(first_reads) == 1
    assert reads == []
    assert again.json() == first.json()
    assert again["ETag"] == first["ETag"]


@pytest.mark.parametrize("write", ["api", "another instance"])
def test_entry_get__after_a_write__the_new_version(bearer_client, editor, make_entry, write):
    entry = make_entry("timeout", 30)
    bearer_client.get(entry_url("timeout"))

    if write == "api":
        response = bearer_client.patch(entry_url("timeout"), {"value": 31}, HTTP_IF_MATCH=entry.etag)
        assert response.status_code == 200, response.content
    else:  # what another instance's write leaves here: the row and a replaced marker
        services.entry_update(entry=entry, fields={"value": 31}, actor=editor, if_match=[entry.etag])
    response, reads = _entry_reads(bearer_client)

    assert (response.json()["value"], response.json()["version"]) == (31, 2)
    assert len(reads) == 1


def test_entry_get__deleted__404_not_the_remembered_one(bearer_client, editor, make_entry):
    entry = make_entry("timeout", 30)
    bearer_client.get(entry_url("timeout"))

    services.entry_delete(entry=entry, actor=editor, if_match=[entry.etag])
    response = bearer_client.get(entry_url("timeout"))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_entry_get__api_key__remembered_too(make_entry, environment):
    make_entry("timeout", 30)
    _, raw_key = services.api_key_create(
        environment=environment, name="reader", expires_at=None, actor=services.SYSTEM_ACTOR
    )
    client = ContractAPIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    client.get(entry_url("timeout"))

    response, reads = _entry_reads(client)

    assert response.json()["value"] == 30
    assert reads == []


def test_entry_get__cache_down__read_from_the_database(bearer_client, make_entry, monkeypatch):
    make_entry("timeout", 30)
    bearer_client.get(entry_url("timeout"))

    def down(*args, **kwargs):
        raise RedisConnectionError("down")

    monkeypatch.setattr(revocation, "read_and_hit", down)

    response, reads = _entry_reads(bearer_client)

    assert response.json()["value"] == 30
    assert len(reads) == 1
