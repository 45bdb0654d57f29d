"""The periodic jobs' rows in django-celery-beat's tables: created from the registry when missing."""

from __future__ import annotations

import json

from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from background.jobs import PeriodicJob, registered_jobs

RUN_JOB_TASK = "background.run_job"


def schedule_seed() -> list[str]:
    """Create the beat row of every registered job that has none; existing rows (maybe edited in the
    admin) are left alone. Returns the names created."""
    created = []
    for job in registered_jobs().values():
        if PeriodicTask.objects.filter(name=job.name).exists():
            continue
        PeriodicTask.objects.create(name=job.name, task=RUN_JOB_TASK, args=json.dumps([job.name]), **_when(job))
        created.append(job.name)
    return created


def _when(job: PeriodicJob) -> dict:
    if job.every is not None:
        interval, _ = IntervalSchedule.objects.get_or_create(every=job.every, period=IntervalSchedule.SECONDS)
        return {"interval": interval}
    minute, hour, day_of_month, month_of_year, day_of_week = job.crontab.split()
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute=minute,
        hour=hour,
        day_of_month=day_of_month,
        month_of_year=month_of_year,
        day_of_week=day_of_week,
        timezone="UTC",
    )
    return {"crontab": crontab}
