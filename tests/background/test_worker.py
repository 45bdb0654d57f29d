"""A real worker, scheduler and gunicorn against a real SMTP server (aiosmtpd), on the test database.

API.md *Background work*: no request waits for SMTP; the mail arrives once SMTP answers, exactly once, even
when the worker is killed mid-send; the schedule fires; one scheduler per deployment.
"""

from __future__ import annotations

import json
import statistics
import time
from datetime import timedelta

import pytest
import requests
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from accounts.models import UserSession
from background.models import JobRun, OutboxMessage
from tests.accounts.factories import UserFactory
from tests.background.support import celery_process, process_env, smtp_server, wait_for
from tests.support.servers import gunicorn_server

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-enough-passphrase-7"


def _register(base_url: str, address: str) -> requests.Response:
    return requests.post(f"{base_url}/api/v1/auth/register/", json={"email": address, "password": PASSWORD}, timeout=30)


def _reset(base_url: str, address: str) -> requests.Response:
    return requests.post(f"{base_url}/api/v1/auth/password/reset/", json={"email": address}, timeout=30)


def _timed(call, *args) -> float:
    started = time.perf_counter()
    response = call(*args)
    assert response.status_code in (201, 202), response.text
    return time.perf_counter() - started


def _json_lines(text: str) -> list[dict]:
    lines = []
    for line in text.splitlines():
        if line.startswith("{"):
            try:
                lines.append(json.loads(line))
            except ValueError:
                continue
    return lines


def test_stalled_smtp__requests_do_not_wait__each_mail_arrives_once_after_recovery(tmp_path):
    verified = UserFactory(email="known@example.com")
    with smtp_server() as smtp:
        env = process_env(tmp_path / "var", smtp.port)
        smtp.stall()
        with gunicorn_server(**env) as base_url:
            # /ready does not depend on the worker, which is not even running yet.
            assert requests.get(f"{base_url}/ready", timeout=10).status_code == 200
            with celery_process("worker", env) as worker, celery_process("beat", env):
                registered = _register(base_url, "stalled@example.com")
                started = time.perf_counter()
                reset = _reset(base_url, verified.email)
                reset_seconds = time.perf_counter() - started

                assert (registered.status_code, reset.status_code) == (201, 202)
                assert reset_seconds < 1.5  # SMTP hangs for EMAIL_TIMEOUT (2 s) per try: it was not waited for
                wait_for(
                    lambda: OutboxMessage.objects.filter(attempts__gte=1, status="pending").count() == 2,
                    30,
                    "both messages to fail a try against the stalled server",
                )
                assert smtp.messages == []

                smtp.answer()
                wait_for(lambda: len(smtp.messages) >= 2, 60, "both mails after SMTP recovered")
                time.sleep(3)  # a duplicate would arrive within the relay's next rounds

                assert sorted(message["To"] for message in smtp.messages) == [
                    "known@example.com",
                    "stalled@example.com",
                ]
                assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}
                lines = _json_lines(worker.output())
                sent = [line for line in lines if line.get("message") == "outbox message sent"]
                assert {line["request_id"] for line in sent} == {
                    registered.headers["X-Request-ID"],
                    reset.headers["X-Request-ID"],
                }


def test_worker_killed_mid_send__message_delivered_exactly_once(tmp_path):
    with smtp_server() as smtp:
        env = process_env(tmp_path / "var", smtp.port, EMAIL_TIMEOUT="3")
        smtp.stall()
        with gunicorn_server(**env) as base_url, celery_process("beat", env):
            with celery_process("worker", env) as worker:
                assert _register(base_url, "killed@example.com").status_code == 201
                wait_for(lambda: OutboxMessage.objects.filter(status="sending").exists(), 30, "the worker to claim it")
                worker.kill()  # SIGKILL while it waits for the stalled server

            smtp.answer()
            with celery_process("worker", env):
                wait_for(lambda: smtp.messages, 60, "the mail, once the dead worker's lease ran out")
                time.sleep(3)

    [message] = smtp.messages
    assert message["To"] == "killed@example.com"
    row = OutboxMessage.objects.get()
    assert (row.status, row.attempts) == ("sent", 2)


def test_scheduler__fires_jobs__and_a_second_scheduler_stands_by(tmp_path, user):
    long_ago = timezone.now() - timedelta(days=60)
    UserSession.objects.create(user=user, expires_at=long_ago, revoked_at=long_ago)
    # Edited in the admin to run every second: the seed keeps the row, the scheduler follows it.
    every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(
        name="flushexpiredsessions", task="background.run_job", args='["flushexpiredsessions"]', interval=every_second
    )
    with smtp_server() as smtp:
        env = process_env(tmp_path / "var", smtp.port)
        with celery_process("worker", env), celery_process("beat", env) as first:
            wait_for(lambda: "holding the lease" in first.output(), 60, "the first scheduler to take the lease")
            with celery_process("beat", env) as second:
                wait_for(lambda: "another scheduler holds the lease" in second.output(), 60, "the standby")
                wait_for(
                    lambda: JobRun.objects.filter(name="flushexpiredsessions", last_success_at__isnull=False).exists(),
                    60,
                    "the job to run",
                )
                assert "holding the lease" not in second.output()

    assert not UserSession.objects.filter(user=user).exists()
    assert JobRun.objects.get(name="outbox_relay").last_success_at is not None


def test_benchmark__register_and_reset__as_fast_with_a_stalled_smtp_server(tmp_path, capsys):
    """The medians for the note: 15 registrations and 15 resets each, SMTP healthy, then stalled."""
    verified = [UserFactory(email=f"bench{i}@example.com") for i in range(15)]
    medians: dict[str, dict[str, float]] = {}
    with smtp_server() as smtp:
        env = process_env(tmp_path / "var", smtp.port)
        with gunicorn_server(**env) as base_url, celery_process("worker", env):
            for state in ("healthy", "stalled"):
                if state == "stalled":
                    smtp.stall()
                register = [_timed(_register, base_url, f"{state}{i}@example.com") for i in range(15)]
                reset = [_timed(_reset, base_url, user.email) for user in verified]
                medians[state] = {"register": statistics.median(register), "reset": statistics.median(reset)}
            smtp.answer()

    with capsys.disabled():
        for state, figures in medians.items():
            register, reset = figures["register"] * 1000, figures["reset"] * 1000
            print(f"\nSMTP {state}: median register {register:.1f} ms, reset {reset:.1f} ms")
    for endpoint in ("register", "reset"):
        # A request that waited for the stalled server would take EMAIL_TIMEOUT (2 s) or more.
        assert medians["stalled"][endpoint] < medians["healthy"][endpoint] * 2 + 0.05
