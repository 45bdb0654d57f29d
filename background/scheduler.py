"""The scheduler process (`celery -A config beat`): django-celery-beat's database scheduler behind a lease.

Exactly one scheduler fires jobs per deployment, however many are started: each tick renews a lease row
(`SchedulerLease`, in the shared database) and only its holder sends anything; another scheduler stands
by, logging so, and takes over once the holder has not renewed for SCHEDULER_LEASE_SECONDS (it died).
The database is the arbiter because every process of a deployment already shares it (PostgreSQL, or the
embedded mode's SQLite file); a Redis lock would not exist in the embedded mode.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, close_old_connections
from django.db.models import Q
from django.utils import timezone
from django_celery_beat.schedulers import DatabaseScheduler

from background.models import SchedulerLease
from background.schedule import schedule_seed

logger = logging.getLogger(__name__)
LEASE_NAME = "scheduler"


def lease_acquire(holder: str, seconds: float) -> bool:
    """Take or renew the scheduler lease for `holder`; False while another holder's lease is live."""
    now = timezone.now()
    SchedulerLease.objects.get_or_create(name=LEASE_NAME)
    free_or_mine = Q(holder=holder) | Q(expires_at__isnull=True) | Q(expires_at__lt=now)
    taken = SchedulerLease.objects.filter(free_or_mine, name=LEASE_NAME).update(
        holder=holder, expires_at=now + timedelta(seconds=seconds)
    )
    return bool(taken)


def lease_release(holder: str) -> None:
    SchedulerLease.objects.filter(name=LEASE_NAME, holder=holder).update(expires_at=None)


class LeasedDatabaseScheduler(DatabaseScheduler):
    def __init__(self, *args, **kwargs):
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.holding: bool | None = None  # unknown until the first tick, so the first state is logged
        super().__init__(*args, **kwargs)

    def setup_schedule(self) -> None:
        created = schedule_seed()
        if created:
            logger.info("scheduler: added the default schedule of %s", ", ".join(created))
        super().setup_schedule()

    def tick(self, *args, **kwargs) -> float:
        lease_seconds = settings.SCHEDULER_LEASE_SECONDS
        try:
            close_old_connections()
            holding = lease_acquire(self.holder, lease_seconds)
        except DatabaseError:
            logger.warning("scheduler: cannot reach the database to renew the lease; standing by", exc_info=True)
            holding = False
        if holding != self.holding:
            logger.warning(
                "scheduler: %s", "holding the lease, firing jobs" if holding else "another scheduler holds the lease"
            )
            self.holding = holding
        if not holding:
            return min(self.max_interval, lease_seconds / 3)
        # Never sleep past a third of the lease, so the lease is renewed well before it runs out.
        return min(super().tick(*args, **kwargs), lease_seconds / 3)

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self.holding:
                lease_release(self.holder)
