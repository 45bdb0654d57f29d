"""Secret entries: encrypted at rest, masked for viewers, audited when shown in clear to a user."""

import pytest

from audit.models import AuditEvent
from configurations.crypto import decrypt_value
from configurations.models import Entry
from tests.configurations.paths import ENTRIES, RESOLVED, entry_url


@pytest.fixture
def secret(make_entry):
    return make_entry("db.password", "hunter2", "string", secret=True)


def test_secret_entry__stored_encrypted(secret):
    row = Entry.objects.get(pk=secret.pk)

    assert row.value is None
    assert "hunter2" not in row.value_encrypted
    assert decrypt_value(row.value_encrypted) == "hunter2"
    assert "hunter2" not in secret.versions.get().value_encrypted


@pytest.mark.parametrize("suffix", ["", "db.password/", "db.password/versions/"])
def test_secret__viewer__masked_everywhere_and_not_audited(user_client, secret, suffix):
    response = user_client.get(f"{ENTRIES}{suffix}")

    assert response.status_code == 200
    assert "hunter2" not in response.content.decode()
    assert "********" in response.content.decode()
    assert not AuditEvent.objects.filter(action="config.secret.revealed").exists()


def test_secret__viewer_resolved__masked(user_client, secret):
    response = user_client.get(RESOLVED)

    assert response.json() == {"db.password": "********"}


@pytest.mark.parametrize("suffix", ["", "db.password/", "db.password/versions/"])
def test_secret__editor__clear_and_audited(editor_client, secret, editor, suffix):
    response = editor_client.get(f"{ENTRIES}{suffix}")

    assert "hunter2" in response.content.decode()
    event = AuditEvent.objects.get(action="config.secret.revealed")
    assert event.actor == str(editor.pk)
    assert event.metadata == {"entries": ["db.password"]}
    assert "hunter2" not in str(event.changes) + str(event.metadata)


def test_secret__editor_resolved__clear_audited_each_time_different_etag(editor_client, user_client, secret):
    first = editor_client.get(RESOLVED)
    second = editor_client.get(RESOLVED)

    assert first.json() == {"db.password": "hunter2"}
    assert second.json() == {"db.password": "hunter2"}
    assert AuditEvent.objects.filter(action="config.secret.revealed").count() == 2
    assert user_client.get(RESOLVED)["ETag"] != first["ETag"]


def test_secret__update__audit_diff_never_holds_value(editor_client, secret):
    response = editor_client.put(entry_url("db.password"), {"value": "s3cr3t!"}, HTTP_IF_MATCH=secret.etag)

    assert response.status_code == 200
    event = AuditEvent.objects.get(action="config.entry.updated")
    assert event.changes == {"value": {"from": "********", "to": "********"}}
    assert "s3cr3t" not in str(event.changes)


def test_secret__made_secret_later__old_versions_masked_for_viewer(editor_client, user_client, make_entry):
    entry = make_entry("token", "plain", "string")
    editor_client.patch(entry_url("token"), {"secret": True}, HTTP_IF_MATCH=entry.etag)

    body = user_client.get(f"{entry_url('token')}versions/").json()

    assert [version["value"] for version in body["results"]] == ["********", "********"]
    assert Entry.objects.get(pk=entry.pk).value is None
