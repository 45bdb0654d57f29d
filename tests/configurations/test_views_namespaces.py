"""Namespaces and environments: admins manage them, everyone with a role reads them."""

import pytest

from audit.models import AuditEvent
from configurations.models import ApiKey, Entry, EntryVersion, Environment, Namespace
from tests.configurations.factories import EnvironmentFactory, NamespaceFactory

NAMESPACES = "/api/v1/namespaces/"


def test_namespace_create__admin__returns_201_and_audits(admin_client_api, db):
    response = admin_client_api.post(NAMESPACES, {"slug": "billing", "description": "Invoices"})

    assert response.status_code == 201
    assert response.json()["slug"] == "billing"
    assert AuditEvent.objects.filter(action="config.namespace.created").exists()


@pytest.mark.parametrize("client_fixture", ["user_client", "editor_client"])
def test_namespace_create__not_admin__returns_403(request, client_fixture, db):
    response = request.getfixturevalue(client_fixture).post(NAMESPACES, {"slug": "billing"})

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not Namespace.objects.exists()


@pytest.mark.parametrize(
    ("slug", "code"),
    [("Billing", "validation_error"), ("a_b", "validation_error"), ("x" * 65, "validation_error"), ("", "blank")],
)
def test_namespace_create__bad_slug__returns_400(admin_client_api, db, slug, code):
    response = admin_client_api.post(NAMESPACES, {"slug": slug})

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert {error["field"] for error in response.json()["errors"]} == {"slug"}


def test_namespace_create__duplicate__returns_409(admin_client_api, db):
    NamespaceFactory(slug="billing")

    response = admin_client_api.post(NAMESPACES, {"slug": "billing"})

    assert response.status_code == 409
    assert response.json()["code"] == "namespace_exists"


def test_namespace_list_and_retrieve__viewer(user_client, db):
    NamespaceFactory(slug="billing")

    listed = user_client.get(NAMESPACES)
    one = user_client.get(f"{NAMESPACES}billing/")

    assert [item["slug"] for item in listed.json()["results"]] == ["billing"]
    assert one.status_code == 200
    missing = user_client.get(f"{NAMESPACES}nope/")
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"


def test_namespace_patch__description_changes_slug_is_rejected(admin_client_api, db):
    NamespaceFactory(slug="billing")

    changed = admin_client_api.patch(f"{NAMESPACES}billing/", {"description": "new"})
    renamed = admin_client_api.patch(f"{NAMESPACES}billing/", {"slug": "other"})

    assert changed.status_code == 200 and changed.json()["description"] == "new"
    assert renamed.status_code == 400
    assert renamed.json()["errors"][0]["code"] == "unknown_field"


def test_namespace_delete__with_environments__409_then_204_when_empty(admin_client_api, environment):
    refused = admin_client_api.delete(f"{NAMESPACES}billing/")
    assert refused.status_code == 409
    assert refused.json()["code"] == "not_empty"

    assert admin_client_api.delete(f"{NAMESPACES}billing/environments/production/").status_code == 204
    assert admin_client_api.delete(f"{NAMESPACES}billing/").status_code == 204
    assert not Namespace.objects.exists()


def test_environment_crud__admin(admin_client_api, db):
    NamespaceFactory(slug="billing")
    url = f"{NAMESPACES}billing/environments/"

    created = admin_client_api.post(url, {"slug": "staging"})
    duplicate = admin_client_api.post(url, {"slug": "staging"})
    patched = admin_client_api.patch(f"{url}staging/", {"description": "pre-prod"})
    listed = admin_client_api.get(url)

    assert created.status_code == 201 and created.json()["namespace"] == "billing"
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "environment_exists"
    assert patched.json()["description"] == "pre-prod"
    assert [item["slug"] for item in listed.json()["results"]] == ["staging"]
    assert admin_client_api.get(f"{url}staging/").status_code == 200


def test_environment_delete__with_entries__returns_409(admin_client_api, make_entry):
    make_entry()

    response = admin_client_api.delete(f"{NAMESPACES}billing/environments/production/")

    assert response.status_code == 409
    assert response.json()["code"] == "not_empty"
    assert Environment.objects.exists()


def test_namespace_delete__with_environments__returns_409_not_empty(admin_client_api, environment):
    response = admin_client_api.delete(f"{NAMESPACES}billing/")

    assert response.status_code == 409
    assert response.json()["code"] == "not_empty"
    assert Environment.objects.filter(pk=environment.pk).exists()


def test_namespace_delete__recursive__deletes_all_below_and_audits(admin_client_api, make_entry, make_api_key):
    make_entry(key="a")
    make_entry(key="b", value="s", value_type="string", secret=True)
    make_api_key()

    response = admin_client_api.delete(f"{NAMESPACES}billing/?recursive=true")

    assert response.status_code == 204
    assert not Namespace.objects.exists()
    assert not Environment.objects.exists()
    assert not Entry.objects.exists() and not EntryVersion.objects.exists() and not ApiKey.objects.exists()
    namespace_event = AuditEvent.objects.get(action="config.namespace.deleted")
    assert namespace_event.metadata == {"recursive": True, "environments": 1, "entries": 2}
    environment_event = AuditEvent.objects.get(action="config.environment.deleted")
    assert environment_event.metadata["entries"] == 2


def test_environment_delete__recursive__deletes_its_entries(admin_client_api, make_entry):
    make_entry()

    response = admin_client_api.delete(f"{NAMESPACES}billing/environments/production/?recursive=true")

    assert response.status_code == 204
    assert not Environment.objects.exists() and not Entry.objects.exists()
    assert Namespace.objects.filter(slug="billing").exists()


def test_namespace_delete__recursive_fails_midway__nothing_deleted(make_entry, admin_user, monkeypatch):
    from configurations import services

    make_entry()
    namespace = Namespace.objects.get(slug="billing")

    def broken(self, *args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(Namespace, "delete", broken)
    with pytest.raises(RuntimeError):
        services.namespace_delete(namespace=namespace, recursive=True, actor=admin_user)

    assert Environment.objects.exists() and Entry.objects.exists()
    assert not AuditEvent.objects.filter(action__endswith=".deleted").exists()


@pytest.mark.parametrize("value", ["1", "yes", "TRUE"])
def test_namespace_delete__recursive_not_true_or_false__returns_400(admin_client_api, environment, value):
    response = admin_client_api.delete(f"{NAMESPACES}billing/?recursive={value}")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_choice"
    assert response.json()["errors"][0]["field"] == "recursive"
    assert Environment.objects.exists()


def test_environment_list__unknown_namespace__returns_404(user_client, db):
    response = user_client.get(f"{NAMESPACES}nope/environments/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_environment_create__editor__returns_403(editor_client, db):
    EnvironmentFactory(namespace__slug="billing")

    response = editor_client.post(f"{NAMESPACES}billing/environments/", {"slug": "qa"})

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_roles__permissions_granted_by_migration(user, editor, admin_user, auditor):
    assert user.has_perms(["configurations.view_entry", "configurations.view_entryversion"])
    assert not user.has_perm("configurations.reveal_secret")
    assert not user.has_perm("configurations.view_apikey")
    assert editor.has_perms(
        ["configurations.change_entry", "configurations.add_apikey", "configurations.reveal_secret"]
    )
    assert not editor.has_perm("configurations.add_namespace")
    assert admin_user.has_perms(["configurations.add_namespace", "configurations.delete_environment"])
    assert auditor.has_perm("configurations.view_entry") and not auditor.has_perm("configurations.change_entry")
