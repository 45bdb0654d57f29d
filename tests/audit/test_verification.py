import pytest
from django.db import connection

from audit.models import AuditChainHead, AuditEvent
from audit.services import events_prune, record
from audit.verification import chain_verify
from tests.audit.factories import make_events, sealed

pytestmark = pytest.mark.django_db


def tamper(sql: str, params: list) -> None:
    """Raw SQL change of stored events, with the immutability trigger disabled for it on PostgreSQL."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_immutable")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_immutable")


def test_chain_verify__intact_chain__ok_and_counts_every_event():
    make_events(12)
    progress = []

    result = chain_verify(batch_size=5, progress=lambda done, total: progress.append((done, total)))

    assert result.ok and result.checked == AuditEvent.objects.count()
    assert progress[-1] == (result.checked, result.checked)


def test_chain_verify__empty_trail__ok():
    assert chain_verify().ok


def test_chain_verify__altered_content__names_that_event():
    events = make_events(5)
    tamper("UPDATE audit_auditevent SET metadata = %s WHERE id = %s", ['{"forged": true}', events[2].id])

    result = chain_verify(batch_size=2)

    assert (result.ok, result.bad_event_id) == (False, events[2].id)
    assert "altered" in result.reason


def test_chain_verify__rehashed_event__breaks_the_next_link():
    events = make_events(4)
    tamper("UPDATE audit_auditevent SET hash = %s WHERE id = %s", ["f" * 64, events[1].id])

    result = chain_verify()

    assert result.bad_event_id == events[1].id


def test_chain_verify__deleted_middle_event__names_the_event_after_the_gap():
    events = make_events(4)
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [events[1].id])

    result = chain_verify()

    assert (result.bad_event_id, "missing" in result.reason) == (events[2].id, True)


def test_chain_verify__pending_events__sealed_first():
    record("test.event.recorded")  # unsealed: its transaction (the test's) has not committed

    result = chain_verify()

    assert result.ok and result.checked == 1


def test_chain_verify__truncated_tail__detected_through_the_head():
    events = make_events(4)
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [events[-1].id])

    result = chain_verify()

    assert (result.ok, result.bad_event_id) == (False, None)
    assert f"seq {events[-1].seq}" in result.reason


def test_events_prune__remaining_chain_still_verifies():
    old = make_events(5)
    cutoff = make_events(1, "test.cutoff.reached")[0].timestamp
    kept = make_events(3)

    checkpoint = events_prune(before=cutoff)
    sealed()

    assert (checkpoint.last_seq, checkpoint.last_hash) == (old[-1].seq, old[-1].hash)
    assert not AuditEvent.objects.filter(id__lte=old[-1].id).exists()
    assert AuditEvent.objects.filter(id__in=[e.id for e in kept]).count() == 3
    pruned = AuditEvent.objects.get(action="audit.pruned")
    assert pruned.metadata["last_hash"] == old[-1].hash
    assert chain_verify().ok


def test_events_prune__nothing_older__returns_none():
    first = make_events(1)[0]
    assert events_prune(before=first.timestamp) is None


def test_events_prune__event_reinserted_before_checkpoint__detected():
    old = make_events(3)
    cutoff = make_events(1, "test.cutoff.reached")[0].timestamp
    events_prune(before=cutoff)
    row = {f: getattr(old[0], f) for f in ("timestamp", "actor_type", "action", "prev_hash", "hash")}
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditevent (id, seq, timestamp, actor, actor_type, action, target_type, target_id, "
            "user_agent, request_id, metadata, prev_hash, hash) "
            "VALUES (%s, %s, %s, '', %s, %s, '', '', '', '', '{}', %s, %s)",
            [old[0].id, old[0].seq, row["timestamp"], row["actor_type"], row["action"], "x", row["hash"]],
        )

    assert chain_verify().bad_event_id == old[0].id


def test_chain_verify__head_missing_but_events_kept__head_rebuilt_from_last_event():
    events = make_events(2)
    AuditChainHead.objects.all().delete()

    nxt = make_events(1, "test.after.rebuild")[0]

    assert (nxt.seq, nxt.prev_hash) == (events[-1].seq + 1, events[-1].hash)
    assert chain_verify().ok


@pytest.mark.parametrize("address", ["2001:DB8:0:0::1", "::ffff:192.0.2.1", "::102:304", "fe80::1%eth0", "203.0.113.5"])
def test_chain_verify__addresses_printed_differently_by_the_database__still_verify(address):
    from django.test import RequestFactory

    record("auth.login.failed", request=RequestFactory().get("/", REMOTE_ADDR=address))

    assert chain_verify().ok
