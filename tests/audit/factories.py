"""Audit test helpers: events are only ever created through the service, never by a factory.

Inside a test's transaction nothing commits, so events stay unsealed until `sealed` runs the seal the
commit would have triggered.
"""

from __future__ import annotations

from typing import Any

from audit.models import AuditEvent
from audit.services import events_seal, record


def sealed(*events: AuditEvent) -> list[AuditEvent]:
    events_seal()
    for event in events:
        event.refresh_from_db()
    return list(events)


def make_events(count: int, action: str = "test.event.recorded", **kwargs: Any) -> list[AuditEvent]:
    return sealed(*(record(action, **kwargs) for _ in range(count)))
