"""reveal_secret also guards writes: a writer without it cannot read a secret back (issue 12.10)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from configurations.models import Entry
from tests.accounts.factories import UserFactory
from tests.configurations.paths import RESOLVED, entry_url
from tests.support.contract import ContractAPIClient

pytestmark = pytest.mark.django_db

SECRET = "hunter2-the-secret"


@pytest.fixture
def secret(make_entry):
    return make_entry("db.password", SECRET, "string", secret=True)


@pytest.fixture
def blind_writer():
    """A custom role: may read and change entries, may not reveal secrets."""
    user = UserFactory()
    codenames = ["view_entry", "change_entry", "view_entryversion", "view_namespace", "view_environment"]
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="configurations", codename__in=codenames)
    )
    client = ContractAPIClient()
    client.force_authenticate(user=user)
    return client


def _leaks(client) -> bool:
    seen = client.get(entry_url("db.password")).content.decode()
    seen += client.get(f"{entry_url('db.password')}versions/").content.decode()
    seen += client.get(RESOLVED).content.decode()
    return SECRET in seen


@pytest.mark.parametrize(
    "body",
    [
        {"secret": False},
        {"schema": {"type": "string", "maxLength": 3}},
        {"schema": {"enum": ["guess"]}},
        {"value_type": "integer"},
    ],
)
def test_entry_patch__without_reveal_secret__revealing_change_403(blind_writer, secret, body):
    response = blind_writer.patch(entry_url("db.password"), body, HTTP_IF_MATCH=secret.etag)

    assert response.status_code == 403
    assert response.json()["code"] == "reveal_secret_required"
    assert SECRET not in response.content.decode()
    assert Entry.objects.get(pk=secret.pk).version == 1
    assert not _leaks(blind_writer)


def test_entry_rollback__secret_without_reveal_secret__403(blind_writer, editor_client, secret):
    editor_client.put(entry_url("db.password"), {"value": "second"}, HTTP_IF_MATCH=secret.etag)

    response = blind_writer.post(f"{entry_url('db.password')}rollback/", {"version": 1})

    assert response.status_code == 403
    assert response.json()["code"] == "reveal_secret_required"


def test_entry_write__without_reveal_secret__new_value_or_description_allowed_and_masked(blind_writer, secret):
    described = blind_writer.patch(entry_url("db.password"), {"description": "db"}, HTTP_IF_MATCH=secret.etag)
    replaced = blind_writer.patch(
        entry_url("db.password"), {"value": "fresh", "secret": False}, HTTP_IF_MATCH=described["ETag"]
    )

    assert described.status_code == 200
    assert described.json()["value"] == "********"
    assert replaced.status_code == 200
    assert replaced.json()["value"] == "fresh"
    assert not _leaks(blind_writer)  # the old versions stay masked


def test_entry_patch__with_reveal_secret__may_unsecret(editor_client, secret):
    response = editor_client.patch(entry_url("db.password"), {"secret": False}, HTTP_IF_MATCH=secret.etag)

    assert response.status_code == 200
    assert response.json()["value"] == SECRET
