"""The audit trail's one entry point: every app records sensitive actions through `record`."""
from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone

from audit.models import ActorType, AuditEvent
from core.net import client_ip


def _actor_of(actor: Any, request: Any) -> tuple[str, str]:
    if actor is None and request is not None:
        auth = getattr(request, "auth", None)
        actor = auth if getattr(auth, "audit_actor_type", None) else getattr(request, "user", None)
    if actor is None or not getattr(actor, "pk", None):
        return ActorType.ANONYMOUS, ""
    return getattr(actor, "audit_actor_type", ActorType.USER), str(actor.pk)


def record(
    action: str,
    *,
    actor: Any = None,
    target: models.Model | None = None,
    changes: dict | None = None,
    metadata: dict | None = None,
    request: Any = None,
) -> AuditEvent:
    """Record `action` (dotted, e.g. "auth.login.succeeded") by `actor` on `target`.

    `actor` is a user, an object with `audit_actor_type` and `pk` (an API key), or None to take it from
    the request (an API-key caller sets `request.auth` to the key). Call it inside the service's
    transaction so the event and the change commit or roll back together.
    """
    actor_type, actor_id = _actor_of(actor, request)
    return AuditEvent.objects.create(
        timestamp=timezone.now(),
        actor=actor_id,
        actor_type=actor_type,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        ip=client_ip(request) if request is not None else None,
        user_agent=(request.META.get("HTTP_USER_AGENT", "")[:512] if request is not None else ""),
        request_id=getattr(request, "request_id", "") if request is not None else "",
        changes=changes,
        metadata=metadata or {},
    )
