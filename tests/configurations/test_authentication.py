"""API keys: shown once, stored hashed, read-only on their own environment, revocable, expiring."""

import hashlib
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEvent
from configurations.models import ApiKey
from core import cache
from tests.configurations.factories import EnvironmentFactory
from tests.configurations.paths import API_KEYS, ENTRIES, ENV, RESOLVED, entry_url


def _auth(raw_key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Api-Key {raw_key}"}


def test_api_key_create__editor__key_shown_once_stored_hashed(editor_client, environment):
    response = editor_client.post(API_KEYS, {"name": "deployer", "expires_at": "2099-01-01T00:00:00Z"})

    assert response.status_code == 201
    raw_key = response.json()["key"]
    stored = ApiKey.objects.get()
    assert stored.key_hash == hashlib.sha256(raw_key.encode()).hexdigest()
    assert raw_key.startswith(stored.prefix) and response.json()["prefix"] == stored.prefix
    listed = editor_client.get(API_KEYS).json()["results"]
    assert [item["id"] for item in listed] == [str(stored.pk)]
    assert "key" not in listed[0]
    event = AuditEvent.objects.get(action="apikey.created")
    assert raw_key not in str(event.changes) + str(event.metadata)


def test_api_key_create__past_expiry__returns_400(editor_client, environment):
    response = editor_client.post(API_KEYS, {"name": "x", "expires_at": "2000-01-01T00:00:00Z"})

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


def test_api_key_list__viewer__returns_403(user_client, environment):
    response = user_client.get(API_KEYS)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_api_key__reads_its_environment_in_clear(api_client, make_api_key, make_entry):
    make_entry("db.password", "hunter2", "string", secret=True)
    _, raw_key = make_api_key()

    resolved = api_client.get(RESOLVED, **_auth(raw_key))
    entry = api_client.get(entry_url("db.password"), **_auth(raw_key))
    listed = api_client.get(ENTRIES, **_auth(raw_key))

    assert resolved.status_code == 200 and resolved.json() == {"db.password": "hunter2"}
    assert entry.status_code == 200 and entry.json()["value"] == "hunter2"
    assert listed.status_code == 200
    assert not AuditEvent.objects.filter(action="config.secret.revealed").exists()


def test_api_key__write__returns_403(api_client, make_api_key, make_entry):
    entry = make_entry()
    _, raw_key = make_api_key()

    response = api_client.put(entry_url(entry.key), {"value": 1}, HTTP_IF_MATCH=entry.etag, **_auth(raw_key))

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    created = api_client.post(ENTRIES, {"key": "k", "value_type": "integer", "value": 1}, **_auth(raw_key))
    assert created.status_code == 403
    assert created.json()["code"] == "permission_denied"


def test_api_key__not_a_read_endpoint__returns_403(api_client, make_api_key):
    _, raw_key = make_api_key()

    for url in (API_KEYS, ENV, "/api/v1/namespaces/"):
        response = api_client.get(url, **_auth(raw_key))
        assert response.status_code == 403, url
        assert response.json()["code"] == "permission_denied", url


def test_api_key__other_environment__returns_404(api_client, make_api_key, environment):
    EnvironmentFactory(namespace=environment.namespace, slug="staging")
    _, raw_key = make_api_key()

    response = api_client.get("/api/v1/namespaces/billing/environments/staging/resolved/", **_auth(raw_key))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("raw_key", ["ck_not-a-real-key", "", "x" * 300])
def test_api_key__invalid__returns_401(api_client, environment, raw_key):
    response = api_client.get(RESOLVED, HTTP_AUTHORIZATION=f"Api-Key {raw_key}")

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_api_key__expired__returns_401(api_client, make_api_key):
    api_key, raw_key = make_api_key(expires_at=timezone.now() + timedelta(hours=1))
    assert api_client.get(RESOLVED, **_auth(raw_key)).status_code == 200
    ApiKey.objects.filter(pk=api_key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    from django.core.cache import cache

    cache.clear()

    response = api_client.get(RESOLVED, **_auth(raw_key))

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


@pytest.mark.django_db(transaction=True)
def test_api_key__revoked__401_at_once_even_when_cached(editor, api_client, make_api_key):
    from tests.support.contract import ContractAPIClient

    api_key, raw_key = make_api_key()
    assert api_client.get(RESOLVED, **_auth(raw_key)).status_code == 200  # validity now cached
    editor_api = ContractAPIClient()
    editor_api.force_authenticate(editor)

    assert editor_api.delete(f"{API_KEYS}{api_key.pk}/").status_code == 204
    assert editor_api.delete(f"{API_KEYS}{api_key.pk}/").status_code == 204  # idempotent

    refused = api_client.get(RESOLVED, **_auth(raw_key))
    assert refused.status_code == 401
    assert refused.json()["code"] == "authentication_failed"
    assert AuditEvent.objects.filter(action="apikey.revoked").count() == 1


def test_api_key_revoke__unknown_id__returns_404(editor_client, environment):
    response = editor_client.delete(f"{API_KEYS}00000000-0000-0000-0000-000000000000/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_api_key__last_used_written_at_most_once_per_interval(api_client, make_api_key, settings):
    settings.CONFIG_API_KEY_LAST_USED_INTERVAL = 60
    api_key, raw_key = make_api_key()

    api_client.get(RESOLVED, **_auth(raw_key))
    first = ApiKey.objects.get(pk=api_key.pk).last_used_at
    api_client.get(RESOLVED, **_auth(raw_key))

    assert first is not None
    assert ApiKey.objects.get(pk=api_key.pk).last_used_at == first


def test_api_key__warm_cache__resolved_costs_no_query(api_client, make_api_key, make_entry):
    make_entry()
    _, raw_key = make_api_key()
    api_client.get(RESOLVED, **_auth(raw_key))  # warms key validity and document

    with (
        CaptureQueriesContext(connection) as queries,
        mock.patch("core.cache.get_many", wraps=cache.get_many) as get_many,
        mock.patch("core.cache.set_value", wraps=cache.set_value) as set_value,
    ):
        response = api_client.get(RESOLVED, **_auth(raw_key))

    assert response.status_code == 200
    assert (get_many.call_count, set_value.call_count) == (1, 0)  # one round trip: key validity and document
    # The embedded mode's cache is a database table: there the one cache round trip is one SELECT.
    expected = 0 if connection.vendor == "postgresql" and _redis() else 1
    assert len(queries) == expected, [query["sql"] for query in queries]


def _redis() -> bool:
    from django.conf import settings

    return bool(settings.REDIS_URL)
