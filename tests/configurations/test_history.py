"""Diff between environments and time travel (resolved/?at=) from the immutable versions."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from configurations import services
from configurations.models import EntryVersion
from tests.configurations.factories import EnvironmentFactory
from tests.configurations.paths import ENV, RESOLVED


@pytest.fixture
def staging(environment):
    return EnvironmentFactory(namespace=environment.namespace, slug="staging")


def _set_time(key: str, moment) -> None:
    EntryVersion.objects.filter(key=key).update(changed_at=moment)


def test_diff__added_removed_changed__on_real_values(editor_client, environment, staging, make_entry):
    make_entry("timeout", 30)
    make_entry("only-prod", True, value_type="boolean")
    make_entry("same", "x", value_type="string")
    make_entry("flag", 1, value_type="json")
    make_entry("timeout", 10, env=staging)
    make_entry("only-staging", 5, env=staging)
    make_entry("same", "x", value_type="string", env=staging)
    make_entry("flag", True, value_type="json", env=staging)

    response = editor_client.get(f"{ENV}diff/?against=staging")

    assert response.status_code == 200
    assert response.json() == {
        "added": {"only-prod": True},
        "removed": {"only-staging": 5},
        "changed": {"timeout": {"from": 10, "to": 30}, "flag": {"from": True, "to": 1}},
    }


def test_diff__secrets_masked_for_viewer__clear_for_editor_and_audited(
    user_client, editor_client, environment, staging, make_entry
):
    make_entry("token", "a", value_type="string", secret=True)
    make_entry("token", "b", value_type="string", secret=True, env=staging)

    masked = user_client.get(f"{ENV}diff/?against=staging").json()
    clear = editor_client.get(f"{ENV}diff/?against=staging").json()

    assert masked["changed"] == {"token": {"from": "********", "to": "********"}}
    assert clear["changed"] == {"token": {"from": "b", "to": "a"}}
    assert AuditEvent.objects.filter(action="config.secret.revealed").count() == 1


def test_diff__missing_or_unknown_against__400_and_404(editor_client, environment):
    missing = editor_client.get(f"{ENV}diff/")
    unknown = editor_client.get(f"{ENV}diff/?against=nope")

    assert missing.status_code == 400 and missing.json()["errors"][0]["field"] == "against"
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"


def test_resolved_at__document_as_it_was__own_etag_and_304(editor, editor_client, environment, make_entry):
    now = timezone.now()
    entry = make_entry("timeout", 30)
    make_entry("gone", 1)
    _set_time("timeout", now - timedelta(hours=3))
    _set_time("gone", now - timedelta(hours=3))
    services.entry_update(entry=entry, if_match=None, fields={"value": 45}, actor=editor)
    EntryVersion.objects.filter(key="timeout", version=2).update(changed_at=now - timedelta(hours=1))
    services.entry_delete(entry=environment.entries.get(key="gone"), if_match=None, actor=editor)
    EntryVersion.objects.filter(key="gone", change="deleted").update(changed_at=now - timedelta(hours=1))
    make_entry("later", "x", value_type="string")

    then = editor_client.get(RESOLVED, {"at": (now - timedelta(hours=2)).isoformat()})
    before = editor_client.get(RESOLVED, {"at": (now - timedelta(days=1)).isoformat()})
    current = editor_client.get(RESOLVED)
    again = editor_client.get(RESOLVED, {"at": (now - timedelta(hours=2)).isoformat()}, HTTP_IF_NONE_MATCH=then["ETag"])

    assert then.status_code == 200 and then.json() == {"gone": 1, "timeout": 30}
    assert before.json() == {}
    assert current.json() == {"later": "x", "timeout": 45}
    assert then["ETag"] != current["ETag"] and then["ETag"].startswith('"')
    assert again.status_code == 304


def test_resolved_at__secret_masked_for_viewer(user_client, environment, make_entry):
    make_entry("token", "s3cr3t", value_type="string", secret=True)

    response = user_client.get(RESOLVED, {"at": timezone.now().isoformat()})

    assert response.json() == {"token": "********"}


@pytest.mark.parametrize(("value", "code"), [("tomorrow", "validation_error"), ("2999-01-01T00:00:00Z", "in_future")])
def test_resolved_at__future_or_garbage__400(editor_client, environment, value, code):
    response = editor_client.get(RESOLVED, {"at": value})

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert response.json()["errors"][0]["field"] == "at"


def test_resolved_at__api_key_of_environment__200(api_client, environment, make_entry, make_api_key):
    make_entry("timeout", 30)
    _, raw_key = make_api_key()

    response = api_client.get(RESOLVED, {"at": timezone.now().isoformat()}, HTTP_AUTHORIZATION=f"Api-Key {raw_key}")

    assert response.status_code == 200 and response.json() == {"timeout": 30}
