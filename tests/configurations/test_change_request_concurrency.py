"""A change request's apply is all or nothing under a concurrent direct write (PostgreSQL row locks)."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from configurations import change_requests
from configurations.models import ChangeRequest, Entry
from tests.configurations.paths import ENV, entry_url

ROUNDS = 12


def _run_together(*functions) -> list:
    barrier = threading.Barrier(len(functions))
    results: list = [None] * len(functions)

    def run(index: int, function) -> None:
        from django.db import connection as thread_connection

        try:
            barrier.wait(timeout=30)
            results[index] = function()
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_apply__racing_a_direct_write__either_all_changes_or_none(editor, make_entry):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    client = APIClient()
    client.force_authenticate(editor)
    outcomes = set()
    for round_ in range(ROUNDS):
        first, second = make_entry(f"a{round_}", 0), make_entry(f"b{round_}", 0)
        cr = change_requests.change_request_create(
            environment=first.environment,
            title="both",
            changes=[
                {"key": first.key, "op": "set", "value": 100, "if_version": 1},
                {"key": second.key, "op": "set", "value": 100, "if_version": 1},
            ],
            actor=editor,
        )
        applied, direct = _run_together(
            lambda cr=cr: client.post(f"{ENV}change-requests/{cr.pk}/apply/"),
            lambda key=second.key, etag=second.etag: client.put(
                entry_url(key), {"value": 7}, format="json", HTTP_IF_MATCH=etag
            ),
        )
        a, b = Entry.objects.get(key=first.key), Entry.objects.get(key=second.key)
        if applied.status_code == 200:
            assert direct.status_code == 412 and direct.json()["code"] == "precondition_failed"
            assert (a.value, a.version, b.value, b.version) == (100, 2, 100, 2)
            assert ChangeRequest.objects.get(pk=cr.pk).status == "applied"
            outcomes.add("change request first")
        else:
            assert applied.status_code == 409 and applied.json()["code"] == "stale_version"
            assert direct.status_code == 200
            assert (a.value, a.version, b.value, b.version) == (0, 1, 7, 2)  # nothing of the request
            assert ChangeRequest.objects.get(pk=cr.pk).status == "open"
            outcomes.add("direct write first")
    assert outcomes  # each round ended in one of the two whole outcomes
