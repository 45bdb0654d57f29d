"""Configuration events for subscribers (webhooks), emitted inside the writer's transaction.

The webhooks app turns an event into outbox rows in the same transaction, so a rolled-back write sends
nothing and a committed one is delivered by the worker after the commit (never by the request).
"""

from __future__ import annotations

from typing import Any

from django.apps import apps

from configurations.models import Environment


def emit(
    event: str, environment: Environment, *, key: str | None, version: int | None, change_request: Any = None
) -> None:
    if not apps.is_installed("webhooks"):
        return
    from webhooks.services import webhook_event_enqueue  # the subscriber, imported only when installed

    data: dict[str, Any] = {
        "namespace": environment.namespace.slug,
        "environment": environment.slug,
        "key": key,
        "version": version,
    }
    if change_request is not None:
        data["change_request"] = change_request.pk
    webhook_event_enqueue(namespace_id=environment.namespace_id, environment=environment.slug, event=event, data=data)
