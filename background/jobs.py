"""Periodic jobs: a registry the scheduler seeds its schedule from, and the one way a job is run.

Register from your app's `tasks.py` (imported in every process):

    periodic_job("files_cleanup", command="files_cleanup", crontab="20 * * * *")
    periodic_job("outbox_relay", func="background.delivery.relay_due", every=10)

A job is a management command (so it stays runnable by hand, `manage.py <command>`) or a function;
`manage.py run_job NAME` runs any job exactly as the scheduler does. The schedule given here is the
default written into django-celery-beat's table when the scheduler first sees the job; after that the row
is the authority (editable in the admin, *Periodic tasks*; delete the row to get the default back).
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass

from django.core.management import call_command
from django.utils import timezone
from django.utils.module_loading import import_string

from background import counters
from background.models import JobRun
from core.request_context import reset_request_id, set_request_id

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    command: str | None = None
    func: str | None = None
    args: tuple[str, ...] = ()
    crontab: str | None = None  # "minute hour day-of-month month day-of-week", UTC
    every: int | None = None  # seconds

    def run(self) -> None:
        if self.command:
            call_command(self.command, *self.args)
        else:
            import_string(self.func)(*self.args)


_JOBS: dict[str, PeriodicJob] = {}


def periodic_job(
    name: str,
    *,
    command: str | None = None,
    func: str | None = None,
    args: tuple[str, ...] = (),
    crontab: str | None = None,
    every: int | None = None,
) -> PeriodicJob:
    """Register a job: exactly one of `command`/`func`, exactly one of `crontab`/`every`."""
    if (command is None) == (func is None) or (crontab is None) == (every is None):
        raise ValueError(f"job {name!r}: give one of command/func and one of crontab/every")
    if crontab is not None and len(crontab.split()) != 5:
        raise ValueError(f"job {name!r}: crontab needs five fields, got {crontab!r}")
    job = PeriodicJob(name=name, command=command, func=func, args=tuple(args), crontab=crontab, every=every)
    _JOBS[name] = job
    return job


def registered_jobs() -> dict[str, PeriodicJob]:
    return dict(_JOBS)


def run_job(name: str) -> None:
    """Run one job now, record its start, success or failure (for /metrics), and re-raise a failure."""
    job = _JOBS.get(name)
    if job is None:
        raise KeyError(f"unknown periodic job {name!r}")
    token = set_request_id(f"job-{name}-{uuid.uuid4().hex[:12]}")  # ties the job's log lines together
    started = time.monotonic()
    _record(name, last_started_at=timezone.now())
    try:
        job.run()
    except Exception as exc:
        _record(name, last_failure_at=timezone.now(), last_error=f"{type(exc).__name__}: {exc}"[:500])
        counters.count_outcome(f"job.{name}", counters.FAILURE)
        logger.exception("periodic job %s failed", name)
        raise
    else:
        _record(name, last_success_at=timezone.now(), last_error="")
        counters.count_outcome(f"job.{name}", counters.SUCCESS)
        logger.info("periodic job %s done in %.2f s", name, time.monotonic() - started)
    finally:
        reset_request_id(token)


def _record(name: str, **fields) -> None:
    if not JobRun.objects.filter(name=name).update(**fields):
        JobRun.objects.update_or_create(name=name, defaults=fields)
