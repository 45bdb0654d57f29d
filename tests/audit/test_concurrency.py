"""Must-show: 20 threads appending at once on PostgreSQL leave one linear, gap-free chain (sealed on commit)."""

import itertools
import threading

import pytest
from django.db import close_old_connections, connection, transaction

from audit.models import AuditEvent
from audit.services import record
from audit.verification import chain_verify

THREADS = 20
EVENTS_PER_THREAD = 10


def _writer(index: int, barrier: threading.Barrier, errors: list) -> None:
    try:
        barrier.wait()
        for number in range(EVENTS_PER_THREAD):
            with transaction.atomic():
                record("test.concurrent.append", metadata={"thread": index, "n": number})
            if number % 3 == 0:  # a rolled-back transaction must not leave a hole or a fork
                try:
                    with transaction.atomic():
                        record("test.concurrent.rolled_back", metadata={"thread": index})
                        raise RuntimeError("rollback")
                except RuntimeError:
                    pass
            # Back to the pool (DB_POOL_MAX_SIZE is smaller than THREADS): every thread keeps getting turns.
            connection.close()
    except Exception as exc:  # surfaced by the main thread's assertion
        errors.append(exc)
    finally:
        connection.close()


# Skipped before any database set-up on SQLite; serialized_rollback: the flush after this test keeps the
# seeded roles and content types, which the other serialized_rollback tests rely on.
@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrent appends need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_record__20_parallel_threads__chain_verifies_without_gaps_or_forks(run_command):
    barrier, errors = threading.Barrier(THREADS), []
    threads = [threading.Thread(target=_writer, args=(i, barrier, errors)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    close_old_connections()

    assert errors == []
    events = list(AuditEvent.objects.order_by("seq").values_list("seq", "prev_hash", "hash", "action"))
    assert len(events) == THREADS * EVENTS_PER_THREAD
    assert [row[0] for row in events] == list(range(1, len(events) + 1))  # all sealed, gap-free
    assert all(row[1] == prev[2] for prev, row in itertools.pairwise(events))  # linear: no fork
    assert not any(row[3] == "test.concurrent.rolled_back" for row in events)
    assert chain_verify().ok
    assert run_command("audit_verify")[0] == 0
