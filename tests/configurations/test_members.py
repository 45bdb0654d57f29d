"""Namespace members: roles within one namespace on top of the global role, outsiders 404, audited."""

import pytest
from django.contrib.auth.models import Group

from accounts.roles import Role
from audit.models import AuditEvent
from configurations.models import NamespaceMember
from tests.accounts.factories import UserFactory
from tests.configurations.factories import EnvironmentFactory
from tests.configurations.paths import API_KEYS, ENTRIES, ENV, entry_url
from tests.support.contract import ContractAPIClient

MEMBERS = "/api/v1/namespaces/billing/members/"


def _client(user) -> ContractAPIClient:
    client = ContractAPIClient()
    client.force_authenticate(user=user)
    return client


@pytest.fixture
def outsider(db):
    """A user whose global role reads nothing (an admin emptied the group they are in)."""
    user = UserFactory(role=Role.VIEWER)
    group = Group.objects.create(name="contractors")
    user.groups.set([group])
    return user


@pytest.fixture
def other_environment(db):
    return EnvironmentFactory(namespace__slug="shipping", slug="production")


def _member(environment, user, role):
    return NamespaceMember.objects.create(namespace=environment.namespace, user=user, role=role)


def test_member_add__by_global_admin__201_and_audited(admin_client_api, environment, user):
    response = admin_client_api.post(MEMBERS, {"user": str(user.pk), "role": "editor"})

    assert response.status_code == 201
    assert response.json()["role"] == "editor" and response.json()["user"] == str(user.pk)
    event = AuditEvent.objects.get(action="config.member.added")
    assert event.metadata["namespace"] == "billing" and event.changes == {"role": "editor"}


def test_member_add__twice__409_member_exists(admin_client_api, environment, user):
    _member(environment, user, "viewer")

    response = admin_client_api.post(MEMBERS, {"user": str(user.pk), "role": "editor"})

    assert response.status_code == 409
    assert response.json()["code"] == "member_exists"


def test_member_add__unknown_user__400(admin_client_api, environment):
    response = admin_client_api.post(MEMBERS, {"user": "00000000-0000-0000-0000-000000000000", "role": "editor"})

    assert response.status_code == 400
    assert response.json()["code"] == "does_not_exist"
    assert response.json()["errors"][0]["field"] == "user"


def test_member_add__by_global_editor__403(editor_client, environment, user):
    response = editor_client.post(MEMBERS, {"user": str(user.pk), "role": "editor"})

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_member_add__by_namespace_admin__201(environment, user, other_user):
    _member(environment, user, "admin")

    response = _client(user).post(MEMBERS, {"user": str(other_user.pk), "role": "viewer"})

    assert response.status_code == 201


def test_member_change_and_remove__audited(admin_client_api, environment, user):
    _member(environment, user, "viewer")

    changed = admin_client_api.patch(f"{MEMBERS}{user.pk}/", {"role": "admin"})
    removed = admin_client_api.delete(f"{MEMBERS}{user.pk}/")

    assert changed.status_code == 200 and changed.json()["role"] == "admin"
    assert removed.status_code == 204
    assert not NamespaceMember.objects.exists()
    actions = set(AuditEvent.objects.filter(action__startswith="config.member.").values_list("action", flat=True))
    assert actions == {"config.member.changed", "config.member.removed"}


def test_member_list__viewer_reads__unknown_member_404(user_client, environment, editor):
    _member(environment, editor, "editor")

    listed = user_client.get(MEMBERS)
    missing = user_client.patch(f"{MEMBERS}{editor.pk}/", {"role": "admin"})

    assert listed.status_code == 200 and [m["user"] for m in listed.json()["results"]] == [str(editor.pk)]
    assert missing.status_code == 403
    assert missing.json()["code"] == "permission_denied"


def test_namespace_editor__writes_entries_and_api_keys_of_that_namespace(user, environment, make_entry):
    make_entry("timeout", 30)
    _member(environment, user, "editor")
    client = _client(user)

    created = client.post(ENTRIES, {"key": "retries", "value_type": "integer", "value": 3})
    etag = client.get(entry_url("timeout"))["ETag"]
    updated = client.patch(entry_url("timeout"), {"value": 31}, HTTP_IF_MATCH=etag)
    key = client.post(API_KEYS, {"name": "deployer"})

    assert (created.status_code, updated.status_code, key.status_code) == (201, 200, 201)


def test_namespace_editor__global_viewer__other_namespace_read_only_403(user, environment, other_environment):
    _member(environment, user, "editor")
    url = "/api/v1/namespaces/shipping/environments/production/entries/"

    read = _client(user).get(url)
    write = _client(user).post(url, {"key": "k", "value_type": "integer", "value": 1})

    assert read.status_code == 200
    assert write.status_code == 403
    assert write.json()["code"] == "permission_denied"


def test_outsider__namespace_and_everything_below__404(outsider, environment, make_entry):
    make_entry("timeout", 30)
    client = _client(outsider)

    for url in ("/api/v1/namespaces/billing/", ENV, ENTRIES, entry_url("timeout"), f"{ENV}resolved/", MEMBERS):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json()["code"] == "not_found"


def test_outsider__namespace_list__only_own_memberships(outsider, environment, other_environment):
    _member(other_environment, outsider, "viewer")

    response = _client(outsider).get("/api/v1/namespaces/")

    assert response.status_code == 200
    assert [n["slug"] for n in response.json()["results"]] == ["shipping"]


def test_member_only__reads_own_namespace__other_namespace_404(outsider, environment, other_environment):
    _member(environment, outsider, "viewer")
    client = _client(outsider)

    assert client.get(ENTRIES).status_code == 200
    other = client.get("/api/v1/namespaces/shipping/environments/production/entries/")
    assert other.status_code == 404 and other.json()["code"] == "not_found"
    write = client.post(ENTRIES, {"key": "k", "value_type": "integer", "value": 1})
    assert write.status_code == 403 and write.json()["code"] == "permission_denied"


def test_membership_removed__next_request_refused(outsider, environment, admin_client_api):
    _member(environment, outsider, "editor")
    client = _client(outsider)
    assert client.post(ENTRIES, {"key": "a", "value_type": "integer", "value": 1}).status_code == 201

    assert admin_client_api.delete(f"{MEMBERS}{outsider.pk}/").status_code == 204

    response = client.post(ENTRIES, {"key": "b", "value_type": "integer", "value": 1})
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_namespace_editor__sees_secrets_in_clear(user, environment, make_entry):
    make_entry("token", "s3cr3t", value_type="string", secret=True)
    _member(environment, user, "editor")

    assert _client(user).get(entry_url("token")).json()["value"] == "s3cr3t"


def test_namespace_viewer__secrets_masked(outsider, environment, make_entry):
    make_entry("token", "s3cr3t", value_type="string", secret=True)
    _member(environment, outsider, "viewer")

    assert _client(outsider).get(entry_url("token")).json()["value"] == "********"
