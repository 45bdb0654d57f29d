"""Reads of the trail. Only auditors and admins reach these (views check `audit.view_auditevent`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.db.models import QuerySet

from audit.models import AuditEvent


def event_list() -> QuerySet[AuditEvent]:
    """Every event, newest first (the API filters and paginates it)."""
    return AuditEvent.objects.order_by("-id")


def events_between(
    *, since: dt.datetime | None = None, until: dt.datetime | None = None, batch_size: int = 2000
) -> Iterator[AuditEvent]:
    """Events with since <= timestamp < until, oldest first, fetched in keyset batches (bounded memory)."""
    events = AuditEvent.objects.order_by("id")
    if since is not None:
        events = events.filter(timestamp__gte=since)
    if until is not None:
        events = events.filter(timestamp__lt=until)
    last_id = 0
    while True:
        batch = list(events.filter(id__gt=last_id)[:batch_size])
        yield from batch
        if len(batch) < batch_size:
            return
        last_id = batch[-1].id
