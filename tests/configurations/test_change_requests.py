"""Protected environments and change requests through the HTTP API."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from configurations.change_requests import change_requests_apply_due
from configurations.models import ChangeRequest, Entry, EntryVersion
from tests.accounts.factories import UserFactory
from tests.configurations.paths import ENTRIES, ENV, entry_url
from tests.support.contract import ContractAPIClient

CRS = f"{ENV}change-requests/"


def _client(user) -> ContractAPIClient:
    client = ContractAPIClient()
    client.force_authenticate(user=user)
    return client


@pytest.fixture
def reviewer(db):
    return UserFactory(role="editor")


@pytest.fixture
def second_reviewer(db):
    return UserFactory(role="editor")


def _protect(environment, approvals: int = 1):
    environment.protected = True
    environment.required_approvals = approvals
    environment.save()
    return environment


@pytest.fixture
def protected(environment):
    return _protect(environment)


def _propose(client, changes, **extra):
    response = client.post(CRS, {"title": "Tune", "changes": changes, **extra})
    assert response.status_code == 201, response.json()
    return response.json()


def test_environment_protect__admin__200_then_direct_writes_409(
    admin_client_api, editor_client, environment, make_entry
):
    entry = make_entry("timeout", 30)

    response = admin_client_api.patch(ENV, {"protected": True, "required_approvals": 2})

    assert response.status_code == 200
    assert (response.json()["protected"], response.json()["required_approvals"]) == (True, 2)
    writes = [
        editor_client.put(entry_url("timeout"), {"value": 1}, HTTP_IF_MATCH=entry.etag),
        editor_client.patch(entry_url("timeout"), {"value": 1}, HTTP_IF_MATCH=entry.etag),
        editor_client.post(f"{entry_url('timeout')}rollback/", {"version": 1}),
        editor_client.delete(entry_url("timeout"), HTTP_IF_MATCH=entry.etag),
        editor_client.post(ENTRIES, {"key": "new", "value_type": "integer", "value": 1}),
    ]
    assert [w.status_code for w in writes] == [409] * 5
    assert {w.json()["code"] for w in writes} == {"change_request_required"}
    assert Entry.objects.get(key="timeout").version == 1


@pytest.mark.parametrize(("approvals", "code"), [(0, "min_value"), (6, "max_value")])
def test_environment_protect__approvals_out_of_range__400(admin_client_api, environment, approvals, code):
    response = admin_client_api.patch(ENV, {"protected": True, "required_approvals": approvals})

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert response.json()["errors"][0]["field"] == "required_approvals"


def test_environment_protect__editor__403(editor_client, environment):
    response = editor_client.patch(ENV, {"protected": True})

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_change_request_create__201_open_no_approvals(editor_client, environment, editor):
    body = _propose(editor_client, [{"key": "timeout", "op": "set", "value": 5, "value_type": "integer"}])

    assert body["status"] == "open" and body["approvals"] == [] and body["author"] == str(editor.pk)
    assert body["changes"] == [{"key": "timeout", "op": "set", "value": 5, "value_type": "integer"}]
    assert AuditEvent.objects.filter(action="config.change_request.created").exists()


def test_change_request_create__new_key_without_type__400(editor_client, environment):
    response = editor_client.post(CRS, {"title": "t", "changes": [{"key": "x", "op": "set", "value": 1}]})

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert response.json()["errors"][0]["field"] == "changes[0].value_type"


def test_change_request_create__duplicate_keys_or_empty__400(editor_client, environment):
    change = {"key": "x", "op": "delete"}
    duplicate = editor_client.post(CRS, {"title": "t", "changes": [change, change]})
    empty = editor_client.post(CRS, {"title": "t", "changes": []})

    assert duplicate.status_code == 400 and empty.status_code == 400
    assert duplicate.json()["code"] == "validation_error"
    assert duplicate.json()["errors"][0]["field"] == "changes"
    assert empty.json()["code"] == "empty"
    assert empty.json()["errors"][0]["field"] == "changes"


def test_change_request_create__secret_value__stored_encrypted_shown_masked(editor_client, environment):
    body = _propose(
        editor_client, [{"key": "token", "op": "set", "value": "s3cr3t", "value_type": "string", "secret": True}]
    )

    assert body["changes"][0]["value"] == "********"
    stored = ChangeRequest.objects.get().changes[0]
    assert "value" not in stored and "s3cr3t" not in str(stored)


def test_change_request_create__viewer__403(user_client, environment):
    response = user_client.post(CRS, {"title": "t", "changes": [{"key": "x", "op": "delete"}]})

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_approve__author__403__other_editor_twice_counts_once(editor_client, reviewer, protected):
    body = _propose(editor_client, [{"key": "timeout", "op": "set", "value": 5, "value_type": "integer"}])
    url = f"{CRS}{body['id']}/"

    own = editor_client.post(f"{url}approve/")
    first = _client(reviewer).post(f"{url}approve/")
    second = _client(reviewer).post(f"{url}approve/")

    assert own.status_code == 403 and own.json()["code"] == "author_cannot_review"
    assert first.status_code == 200 and second.status_code == 200
    assert [a["user"] for a in second.json()["approvals"]] == [str(reviewer.pk)]
    assert AuditEvent.objects.filter(action="config.change_request.approved").count() == 1


def test_apply__protected_multi_change__one_transaction_versions_record_request(
    editor_client, editor, reviewer, second_reviewer, environment, make_entry
):
    make_entry("timeout", 30)
    make_entry("old", 1)
    _protect(environment, 2)
    changes = [
        {"key": "timeout", "op": "set", "value": 45, "if_version": 1},
        {"key": "retries", "op": "set", "value": 3, "value_type": "integer", "if_version": 0},
        {"key": "old", "op": "delete"},
    ]
    body = _propose(editor_client, changes)
    url = f"{CRS}{body['id']}/"
    _client(reviewer).post(f"{url}approve/")
    short = _client(reviewer).post(f"{url}apply/")
    _client(second_reviewer).post(f"{url}approve/")

    applied = _client(reviewer).post(f"{url}apply/")

    assert short.status_code == 409 and short.json()["code"] == "not_enough_approvals"
    assert applied.status_code == 200
    assert applied.json()["status"] == "applied" and applied.json()["applied_at"]
    timeout = Entry.objects.get(key="timeout")
    assert (timeout.value, timeout.version, timeout.updated_by) == (45, 2, editor)
    assert Entry.objects.get(key="retries").value == 3
    assert not Entry.objects.filter(key="old").exists()
    cr = ChangeRequest.objects.get()
    assert set(EntryVersion.objects.filter(change_request=cr).values_list("key", flat=True)) == {
        "timeout",
        "retries",
        "old",
    }
    event = AuditEvent.objects.get(action="config.change_request.applied")
    assert sorted(event.metadata["approvers"]) == sorted([str(reviewer.pk), str(second_reviewer.pk)])
    versions = editor_client.get(f"{entry_url('timeout')}versions/").json()["results"]
    assert versions[0]["version"] == 2


def test_apply__stale_if_version__409_nothing_changes(editor_client, reviewer, environment, make_entry):
    make_entry("timeout", 30)
    make_entry("retries", 1)
    _protect(environment)
    body = _propose(
        editor_client,
        [
            {"key": "timeout", "op": "set", "value": 45, "if_version": 1},
            {"key": "retries", "op": "set", "value": 9, "if_version": 7},
        ],
    )
    url = f"{CRS}{body['id']}/"
    _client(reviewer).post(f"{url}approve/")

    response = editor_client.post(f"{url}apply/")

    assert response.status_code == 409 and response.json()["code"] == "stale_version"
    assert Entry.objects.get(key="timeout").version == 1 and Entry.objects.get(key="retries").value == 1
    assert ChangeRequest.objects.get().status == "open"
    assert not AuditEvent.objects.filter(action="config.entry.updated").exists()


def test_patch__by_author__withdraws_approvals__by_other__403(editor_client, reviewer, protected):
    body = _propose(editor_client, [{"key": "timeout", "op": "set", "value": 5, "value_type": "integer"}])
    url = f"{CRS}{body['id']}/"
    _client(reviewer).post(f"{url}approve/")

    other = _client(reviewer).patch(url, {"title": "Mine now"})
    edited = editor_client.patch(
        url, {"changes": [{"key": "timeout", "op": "set", "value": 6, "value_type": "integer"}]}
    )

    assert other.status_code == 403 and other.json()["code"] == "not_author"
    assert edited.status_code == 200
    assert edited.json()["approvals"] == [] and edited.json()["changes"][0]["value"] == 6
    assert editor_client.post(f"{url}apply/").json()["code"] == "not_enough_approvals"


def test_reject__closes_it__then_apply_and_approve_409(editor_client, reviewer, protected):
    body = _propose(editor_client, [{"key": "timeout", "op": "set", "value": 5, "value_type": "integer"}])
    url = f"{CRS}{body['id']}/"

    own = editor_client.post(f"{url}reject/")
    rejected = _client(reviewer).post(f"{url}reject/")

    assert own.status_code == 403 and own.json()["code"] == "author_cannot_review"
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert editor_client.post(f"{url}apply/").json()["code"] == "change_request_not_open"
    approved = _client(reviewer).post(f"{url}approve/")
    assert approved.status_code == 409 and approved.json()["code"] == "change_request_not_open"
    assert AuditEvent.objects.filter(action="config.change_request.rejected").exists()


def test_unprotected__author_applies_without_approvals(editor_client, environment):
    body = _propose(editor_client, [{"key": "timeout", "op": "set", "value": 5, "value_type": "integer"}])

    response = editor_client.post(f"{CRS}{body['id']}/apply/")

    assert response.status_code == 200 and Entry.objects.get(key="timeout").value == 5


def test_apply__scheduled__marks_scheduled__scheduler_applies_when_due(editor_client, reviewer, protected):
    at = timezone.now() + timedelta(minutes=5)
    body = _propose(
        editor_client,
        [{"key": "timeout", "op": "set", "value": 5, "value_type": "integer"}],
        scheduled_at=at.isoformat(),
    )
    url = f"{CRS}{body['id']}/"
    _client(reviewer).post(f"{url}approve/")

    response = editor_client.post(f"{url}apply/")

    assert response.status_code == 200 and response.json()["status"] == "scheduled"
    assert not Entry.objects.exists()
    assert change_requests_apply_due(now=at - timedelta(seconds=61)) == 0
    assert change_requests_apply_due(now=at) == 1
    assert change_requests_apply_due(now=at) == 0  # idempotent
    assert ChangeRequest.objects.get().status == "applied" and Entry.objects.get().value == 5


def test_scheduler__stale_when_due__failed_and_audited(editor_client, reviewer, environment, make_entry):
    make_entry("timeout", 30)
    at = timezone.now() + timedelta(minutes=5)
    body = _propose(
        editor_client, [{"key": "timeout", "op": "set", "value": 5, "if_version": 1}], scheduled_at=at.isoformat()
    )
    editor_client.post(f"{CRS}{body['id']}/apply/")
    entry = Entry.objects.get()
    editor_client.patch(entry_url("timeout"), {"value": 31}, HTTP_IF_MATCH=entry.etag)

    assert change_requests_apply_due(now=at) == 0

    cr = ChangeRequest.objects.get()
    assert cr.status == "failed" and "version" in cr.failure
    assert AuditEvent.objects.filter(action="config.change_request.failed").exists()
    assert Entry.objects.get().value == 31


def test_change_request__list_retrieve__outsider_env_404(editor_client, environment):
    body = _propose(editor_client, [{"key": "timeout", "op": "delete"}])

    listed = editor_client.get(CRS)
    one = editor_client.get(f"{CRS}{body['id']}/")
    missing = editor_client.get(f"{CRS}999999/")

    assert [cr["id"] for cr in listed.json()["results"]] == [body["id"]]
    assert one.json()["title"] == "Tune"
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_configs_apply_scheduled_command__applies_due(editor_client, reviewer, protected):
    from io import StringIO

    from django.core.management import call_command

    body = _propose(
        editor_client,
        [{"key": "timeout", "op": "set", "value": 5, "value_type": "integer"}],
        scheduled_at=(timezone.now() + timedelta(hours=1)).isoformat(),
    )
    _client(reviewer).post(f"{CRS}{body['id']}/approve/")
    editor_client.post(f"{CRS}{body['id']}/apply/")
    ChangeRequest.objects.update(scheduled_at=timezone.now() - timedelta(seconds=1))
    out = StringIO()

    call_command("configs_apply_scheduled", stdout=out)

    assert "Applied 1" in out.getvalue() and Entry.objects.get().value == 5
