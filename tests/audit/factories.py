"""Audit test helpers: events are only ever created through the service, never by a factory."""
from __future__ import annotations

from typing import Any

from audit.models import AuditEvent
from audit.services import record


def make_events(count: int, action: str = "test.event.recorded", **kwargs: Any) -> list[AuditEvent]:
    return [record(action, **kwargs) for _ in range(count)]
