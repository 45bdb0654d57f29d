"""Real concurrency on PostgreSQL: of N writers holding the same ETag exactly one wins."""

import threading
from collections import Counter

import pytest
from django.db import connection
from rest_framework.test import APIClient

from configurations.models import EntryVersion
from tests.configurations.paths import entry_url

WRITERS = 50


def _in_parallel(user, writers: int, send) -> list[int]:
    """The statuses of `writers` threads released at once, each sending `send(client, value)` as `user` with a
    value of its own (100, 101, ...) over its own database connection."""
    barrier = threading.Barrier(writers)
    statuses: list[int] = []
    lock = threading.Lock()

    def write(value: int) -> None:
        from django.db import connection as thread_connection

        client = APIClient()
        client.force_authenticate(user)
        try:
            barrier.wait(timeout=30)
            response = send(client, value)
            with lock:
                statuses.append(response.status_code)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=write, args=(100 + n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_entry_update__50_parallel_puts_same_if_match__one_200_rest_412_one_new_version(editor, make_entry):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    entry = make_entry("timeout", 30)

    statuses = _in_parallel(
        editor,
        WRITERS,
        lambda client, value: client.put(
            entry_url("timeout"), {"value": value}, format="json", HTTP_IF_MATCH=entry.etag
        ),
    )

    assert Counter(statuses) == {200: 1, 412: WRITERS - 1}
    versions = list(EntryVersion.objects.filter(entry=entry).values_list("version", flat=True))
    assert versions == [2, 1]
    entry.refresh_from_db()
    assert entry.version == 2 and 100 <= entry.value < 100 + WRITERS


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_entry_patch__parallel_if_match_star__no_update_lost(editor, make_entry):
    """If-Match: * skips the version check, so only the row lock (taken by the URL's look-up) orders them."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    entry = make_entry("timeout", 30)
    writers = 20

    statuses = _in_parallel(
        editor,
        writers,
        lambda client, value: client.patch(entry_url("timeout"), {"value": value}, format="json", HTTP_IF_MATCH="*"),
    )

    assert statuses == [200] * writers
    versions = list(EntryVersion.objects.filter(entry=entry).order_by("version").values_list("version", "value"))
    assert [version for version, _ in versions] == list(range(1, writers + 2))
    assert sorted(value for _, value in versions[1:]) == list(range(100, 100 + writers))
    entry.refresh_from_db()
    assert (entry.version, entry.value) == (writers + 1, versions[-1][1])
