"""Outcome counts and last runs, kept in the database: web (which serves /metrics) is another process."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F

from background.models import TaskCounter

SUCCESS, FAILURE, RETRY = "success", "failure", "retry"


def count_outcome(task: str, outcome: str) -> None:
    """Add one to the (task, outcome) counter; atomic across processes (an UPDATE, or the first INSERT)."""
    if TaskCounter.objects.filter(task=task, outcome=outcome).update(count=F("count") + 1):
        return
    try:
        with transaction.atomic():
            TaskCounter.objects.create(task=task, outcome=outcome, count=1)
    except IntegrityError:  # another process inserted it first
        TaskCounter.objects.filter(task=task, outcome=outcome).update(count=F("count") + 1)
