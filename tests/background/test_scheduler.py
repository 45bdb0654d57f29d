"""The scheduler: its schedule seeded from the registry (admin edits kept), and one lease holder at a time."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from background.jobs import registered_jobs
from background.models import SchedulerLease
from background.schedule import schedule_seed
from background.scheduler import lease_acquire, lease_release

pytestmark = pytest.mark.django_db


def test_schedule_seed__empty_table__one_row_per_job_running_it():
    created = schedule_seed()

    assert sorted(created) == sorted(registered_jobs())
    relay = PeriodicTask.objects.get(name="outbox_relay")
    assert (relay.task, json.loads(relay.args)) == ("background.run_job", ["outbox_relay"])
    assert relay.interval.every == 10
    files = PeriodicTask.objects.get(name="files_cleanup")
    assert (files.crontab.minute, files.crontab.hour, str(files.crontab.timezone)) == ("20", "*", "UTC")


def test_schedule_seed__row_edited_in_the_admin__kept():
    schedule_seed()
    task = PeriodicTask.objects.get(name="files_cleanup")
    task.crontab = None
    task.interval = IntervalSchedule.objects.create(every=5, period=IntervalSchedule.MINUTES)
    task.save()

    assert schedule_seed() == []
    assert PeriodicTask.objects.get(name="files_cleanup").interval.every == 5


def test_lease__second_scheduler__refused_while_the_first_renews():
    assert lease_acquire("a", 30) is True
    assert lease_acquire("b", 30) is False
    assert lease_acquire("a", 30) is True  # renewal
    assert SchedulerLease.objects.get().holder == "a"


def test_lease__holder_stopped_renewing__taken_over():
    lease_acquire("a", 30)
    SchedulerLease.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    assert lease_acquire("b", 30) is True
    assert lease_acquire("a", 30) is False


def test_lease__released_on_shutdown__free_at_once():
    lease_acquire("a", 30)
    lease_release("a")

    assert lease_acquire("b", 30) is True
