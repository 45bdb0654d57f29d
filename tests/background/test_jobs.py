"""Periodic jobs: registration, a run recorded for /metrics, and the same run by hand (run_job)."""

from __future__ import annotations

from io import StringIO

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import CommandError, call_command

from background import jobs
from background.models import JobRun, TaskCounter

pytestmark = pytest.mark.django_db

calls: list[str] = []


def record_call(*args: str) -> None:
    calls.append(",".join(args) or "called")


def explode() -> None:
    raise RuntimeError("disk on fire")


@pytest.fixture
def test_jobs(monkeypatch):
    monkeypatch.setattr(jobs, "_JOBS", dict(jobs._JOBS))
    calls.clear()
    jobs.periodic_job("test_ok", func=f"{__name__}.record_call", args=("a", "b"), every=60)
    jobs.periodic_job("test_boom", func=f"{__name__}.explode", crontab="0 * * * *")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"every": 60},
        {"command": "x", "func": "y", "every": 60},
        {"command": "x"},
        {"command": "x", "every": 60, "crontab": "* * * * *"},
        {"command": "x", "crontab": "* * *"},
    ],
)
def test_periodic_job__ambiguous_or_bad_schedule__refused(kwargs):
    with pytest.raises(ValueError, match="job 'bad'"):
        jobs.periodic_job("bad", **kwargs)


def test_housekeeping__registered_with_a_schedule():
    registered = jobs.registered_jobs()

    for name in ("flushexpiredsessions", "flushexpiredtokens", "files_cleanup", "uploads_cleanup", "outbox_relay"):
        assert name in registered
        assert registered[name].crontab or registered[name].every


def test_run_job__success__recorded_and_counted(test_jobs):
    jobs.run_job("test_ok")

    run = JobRun.objects.get(name="test_ok")
    assert calls == ["a,b"]
    assert run.last_success_at is not None
    assert run.last_failure_at is None
    assert TaskCounter.objects.get(task="job.test_ok").outcome == "success"


def test_run_job__failure__recorded_counted_and_raised(test_jobs):
    with pytest.raises(RuntimeError):
        jobs.run_job("test_boom")

    run = JobRun.objects.get(name="test_boom")
    assert run.last_success_at is None
    assert run.last_error == "RuntimeError: disk on fire"
    assert TaskCounter.objects.get(task="job.test_boom").outcome == "failure"


def test_run_job_command__by_hand__runs_the_job(test_jobs):
    call_command("run_job", "test_ok")

    assert calls == ["a,b"]
    assert JobRun.objects.get(name="test_ok").last_success_at is not None


def test_run_job_command__management_command_job__runs_it():
    call_command("run_job", "flushexpiredsessions")

    assert JobRun.objects.get(name="flushexpiredsessions").last_success_at is not None


def test_run_job_command__failure_or_unknown__command_error(test_jobs):
    with pytest.raises(CommandError, match="job test_boom failed"):
        call_command("run_job", "test_boom")
    with pytest.raises(CommandError, match="unknown job"):
        call_command("run_job", "nope")


def test_run_job_command__list__names_every_job_and_schedule(test_jobs):
    out = StringIO()

    call_command("run_job", "--list", stdout=out)

    assert "test_ok\tevery 60 s" in out.getvalue()
    assert "files_cleanup\t20 * * * *\tfiles_cleanup" in out.getvalue()


def test_audit_checkpoint_job__hourly__writes_a_checkpoint(settings, tmp_path):
    key = tmp_path / "audit-signing.pem"
    key.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    settings.AUDIT_SIGNING_KEY = str(key)
    settings.AUDIT_CHECKPOINT_DIR = str(tmp_path / "checkpoints")

    call_command("run_job", "audit_checkpoint", stdout=StringIO())

    assert jobs.registered_jobs()["audit_checkpoint"].crontab == "0 * * * *"
    assert JobRun.objects.get(name="audit_checkpoint").last_success_at is not None
    assert list((tmp_path / "checkpoints").iterdir())
