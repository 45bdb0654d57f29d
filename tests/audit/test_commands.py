import datetime as dt
import json

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from tests.audit.factories import make_events
from tests.audit.test_verification import tamper

pytestmark = pytest.mark.django_db


def test_audit_verify__intact__exit_0(run_command):
    make_events(3)
    code, out, _ = run_command("audit_verify")
    assert code == 0 and "ok" in out


def test_audit_verify__tampered__exit_1_naming_the_event(run_command):
    events = make_events(3)
    tamper("UPDATE audit_auditevent SET actor = %s WHERE id = %s", ["intruder", events[1].id])

    code, _, err = run_command("audit_verify", "--batch-size", "2")

    assert code == 1
    assert f"event {events[1].id}:" in err


def test_audit_verify__tty__shows_progress_bar():
    import io

    from django.core.management import call_command

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    make_events(5)
    terminal = Terminal()
    call_command("audit_verify", "--batch-size", "2", stdout=io.StringIO(), stderr=terminal)
    assert "5/5" in terminal.getvalue()


def test_audit_export__period__json_lines_in_range_oldest_first(run_command):
    events = make_events(4)

    code, out, _ = run_command(
        "audit_export", "--since", events[1].timestamp.isoformat(), "--until", events[3].timestamp.isoformat()
    )

    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert [line["id"] for line in lines] == [events[1].id, events[2].id]
    assert lines[0]["hash"] == events[1].hash and lines[0]["timestamp"].endswith("Z")


def test_audit_export__streams_in_batches(run_command, monkeypatch):
    import audit.selectors

    original = audit.selectors.events_between
    monkeypatch.setattr(
        "audit.management.commands.audit_export.events_between", lambda **kw: original(**kw, batch_size=2)
    )
    make_events(5)
    _, out, _ = run_command("audit_export")
    assert len(out.splitlines()) == AuditEvent.objects.count()


def test_audit_export__bad_date__usage_error(run_command):
    code, _, err = run_command("audit_export", "--since", "last tuesday")
    assert code == 1 and "ISO 8601" in err


def test_audit_prune__old_events__pruned_and_verify_still_passes(run_command):
    make_events(3)
    cutoff = make_events(1, "test.cutoff.reached")[0].timestamp
    make_events(2)

    code, out, _ = run_command("audit_prune", "--before", cutoff.isoformat())

    assert code == 0 and "pruned 3 events" in out
    assert not AuditEvent.objects.filter(timestamp__lt=cutoff).exists()
    assert run_command("audit_verify")[0] == 0


def test_audit_prune__date_only__means_midnight_utc(run_command):
    make_events(2)
    tomorrow = (timezone.now() + dt.timedelta(days=1)).date().isoformat()
    code, out, _ = run_command("audit_prune", "--before", tomorrow)
    assert code == 0 and "pruned" in out
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["audit.pruned"]


def test_audit_prune__nothing__says_so(run_command):
    code, out, _ = run_command("audit_prune", "--before", "2000-01-01")
    assert (code, out.strip()) == (0, "nothing to prune")
