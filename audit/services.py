"""The audit trail's one entry point (`record`) and its one destructive path (`events_prune`)."""
from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from audit.chain import HASH_SQL, HASHED_FIELDS, compute_hash, normalize_ip, normalize_json
from audit.context import current_request
from audit.models import ActorType, AuditChainHead, AuditCheckpoint, AuditEvent
from audit.redaction import MASK, scrub_text, scrub_text_deep, strip_secrets
from audit.registry import options_for
from core.net import client_ip
from core.request_context import current_request_id

_ACTION = re.compile(r"^[a-z0-9_-]+(\.[a-z0-9_-]+)+$")
_PLAIN = (str, int, float, bool, type(None))
PRUNE_GUC = "audit.pruning"  # the PostgreSQL trigger lets DELETE through only while this is 'on'


def _actor_of(actor: Any, request: Any) -> tuple[str, str]:
    if actor is None:
        if request is None:
            return ActorType.SYSTEM, ""  # management commands, cron, start-up
        auth = getattr(request, "auth", None)
        actor = auth if getattr(auth, "audit_actor_type", None) else getattr(request, "user", None)
    actor_type = getattr(actor, "audit_actor_type", None)
    if actor_type is None:
        if actor is None or not getattr(actor, "is_authenticated", False):
            return ActorType.ANONYMOUS, ""
        actor_type = ActorType.USER
    if actor_type not in ActorType.values:
        raise ValueError(f"unknown audit actor type {actor_type!r}")
    pk = getattr(actor, "pk", None)
    return str(actor_type), "" if pk is None else str(pk)[:64]


def _client_info(request: Any) -> tuple[str | None, str]:
    """(ip, user agent), or nothing when AUDIT_STORE_CLIENT_INFO is off (privacy: no retention at all)."""
    if request is None or not settings.AUDIT_STORE_CLIENT_INFO:
        return None, ""
    user_agent = scrub_text(str(request.META.get("HTTP_USER_AGENT", "")).replace("\x00", ""))[:512]
    return normalize_ip(client_ip(request)), user_agent


def _lock_head() -> AuditChainHead:
    """The chain head, locked until the caller's transaction ends: appends are serialized here."""
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        last = AuditEvent.objects.order_by("-id").values("id", "hash").first() or {"id": 0, "hash": ""}
        AuditChainHead.objects.bulk_create(
            [AuditChainHead(pk=1, last_id=last["id"], last_hash=last["hash"])], ignore_conflicts=True
        )
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    return head


def _sanitize(value: Any, public: Iterable[str] = ()) -> Any:
    """Plain JSON with secrets stripped; top-level `public` keys are only scrubbed of credential-like text."""
    value = normalize_json(value)
    if not isinstance(value, dict):
        return strip_secrets(value)
    kept = {key: scrub_text_deep(item) for key, item in value.items() if key in public}
    return {**strip_secrets({key: item for key, item in value.items() if key not in public}), **kept}


def record(
    action: str,
    *,
    actor: Any = None,
    target: models.Model | None = None,
    changes: dict | None = None,
    metadata: dict | None = None,
    request: Any = None,
) -> AuditEvent:
    """Append `action` (dotted, e.g. "auth.login.succeeded") by `actor` on `target` to the chain.

    `actor` is a user, an object with `audit_actor_type` ("api_key") and `pk`, or None: then it is taken
    from the request (`request.auth` if it is such an object, else `request.user`; anonymous when not
    authenticated), or is `system` when there is no request at all (management commands). `request`
    defaults to the request being served (audit.middleware). The ip comes from core.net.client_ip.
    Secrets are stripped from `changes` and `metadata` (audit.redaction) before anything is stored.

    Runs inside the caller's transaction: the chain head stays locked until it commits (so call it as
    late as possible in a transaction, after any slow work), and a rollback takes the event with it,
    leaving no hole (ids are the head's last id + 1, not a sequence).
    """
    return _append(
        action,
        actor=actor,
        target=target,
        changes=_sanitize(changes) if changes is not None else None,
        metadata=_sanitize(metadata or {}),
        request=request,
    )


def record_model_change(verb: str, instance: models.Model, diff: dict[str, list[Any]]) -> AuditEvent:
    """A model change captured by audit.registry: `model.<app>.<model>.<verb>` with its field diff."""
    options = options_for(type(instance))
    return _append(
        f"model.{instance._meta.label_lower}.{verb}",
        actor=None,
        target=instance,
        changes=_sanitize(diff, options.public),
        metadata={},
        request=None,
    )


def record_bulk_update(model: type[models.Model], ids: list[Any], values: dict[str, Any]) -> AuditEvent:
    """A `queryset.update()` of an audited model: the new values (masked as the registry says) and the ids."""
    options = options_for(model)
    masked = options.masked_fields() | set(options.mask_when)
    changes = {
        name: [None, MASK if name in masked else (value if isinstance(value, _PLAIN) else str(value))]
        for name, value in values.items()
        if name not in options.exclude
    }
    return _append(
        f"model.{model._meta.label_lower}.bulk_updated",
        actor=None,
        target=None,
        changes=_sanitize(changes, options.public),
        metadata={"target_type": model._meta.label_lower, "ids": [str(pk) for pk in ids], "count": len(ids)},
        request=None,
    )


def _append(
    action: str,
    *,
    actor: Any,
    target: models.Model | None,
    changes: Any,
    metadata: Any,
    request: Any,
) -> AuditEvent:
    if not _ACTION.match(action) or len(action) > 100:
        raise ValueError(f"audit action must be dotted lower-case words, got {action!r}")
    request = request if request is not None else current_request()
    actor_type, actor_id = _actor_of(actor, request)
    ip, user_agent = _client_info(request)
    request_id = (getattr(request, "request_id", None) or current_request_id() or "")[:128]
    event = AuditEvent(
        actor=actor_id,
        actor_type=actor_type,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk)[:100] if target is not None else "",
        ip=ip,
        user_agent=user_agent,
        request_id=request_id,
        changes=changes,
        metadata=metadata,
    )
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            _append_postgresql(event)
        else:
            _append_locally(event)
    return event


def _append_locally(event: AuditEvent) -> None:
    head = _lock_head()
    event.id, event.prev_hash = head.last_id + 1, head.last_hash
    event.timestamp = timezone.now()  # taken under the lock, so timestamps follow the chain order
    event.hash = compute_hash(vars(event))
    event.save(force_insert=True)
    AuditChainHead.objects.filter(pk=1).update(last_id=event.id, last_hash=event.hash)


# One round trip: lock the head, insert the next event hashed by the database itself (audit.chain.HASH_SQL,
# exactly as audit_verify recomputes it), move the head. The lock is held until the caller's commit, so the
# fewer round trips after taking it, the less other writers wait.
_PG_APPEND = f"""
WITH head AS (SELECT last_id, last_hash FROM audit_auditchainhead WHERE id = 1 FOR UPDATE),
event AS (
    SELECT head.last_id + 1 AS id, clock_timestamp() AS timestamp, %s::text AS actor, %s::text AS actor_type,
           %s::text AS action, %s::text AS target_type, %s::text AS target_id, %s::inet AS ip,
           %s::text AS user_agent, %s::text AS request_id, %s::jsonb AS changes, %s::jsonb AS metadata,
           head.last_hash AS prev_hash
    FROM head
),
inserted AS (
    INSERT INTO audit_auditevent ({', '.join(HASHED_FIELDS)}, hash) SELECT *, {HASH_SQL} FROM event
    RETURNING id, timestamp, prev_hash, hash
),
moved AS (
    UPDATE audit_auditchainhead SET last_id = inserted.id, last_hash = inserted.hash FROM inserted
    WHERE audit_auditchainhead.id = 1
)
SELECT id, timestamp, prev_hash, hash FROM inserted
"""  # noqa: S608 - constant SQL, values are parameters


def _append_postgresql(event: AuditEvent) -> None:
    values = [getattr(event, name) for name in HASHED_FIELDS[2:12]]
    for index in (8, 9):  # changes, metadata
        values[index] = json.dumps(values[index], ensure_ascii=False) if values[index] is not None else None
    with connection.cursor() as cursor:
        cursor.execute(_PG_APPEND, values)
        row = cursor.fetchone()
        if row is None:  # no chain head yet (fresh or flushed database): create it, then append
            _lock_head()
            cursor.execute(_PG_APPEND, values)
            row = cursor.fetchone()
    event.id, event.timestamp, event.prev_hash, event.hash = row
    event._state.adding, event._state.db = False, connection.alias


@transaction.atomic
def events_prune(*, before: dt.datetime) -> AuditCheckpoint | None:
    """Delete the events older than `before`, leaving a checkpoint (and an `audit.pruned` event) from
    which the rest of the chain still verifies. Returns None when there was nothing to prune."""
    _lock_head()
    last = AuditEvent.objects.filter(timestamp__lt=before).order_by("-id").values("id", "hash").first()
    if last is None:
        return None
    pruned = AuditEvent.objects.filter(id__lte=last["id"]).count()
    checkpoint = AuditCheckpoint.objects.create(
        created_at=timezone.now(), before=before, last_event_id=last["id"], last_hash=last["hash"], pruned_count=pruned
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT set_config(%s, 'on', true)", [PRUNE_GUC])
        cursor.execute("DELETE FROM audit_auditevent WHERE id <= %s", [last["id"]])
        if connection.vendor == "postgresql":
            cursor.execute("SELECT set_config(%s, 'off', true)", [PRUNE_GUC])
    record(
        "audit.pruned",
        metadata={"before": before, "last_event_id": last["id"], "last_hash": last["hash"], "pruned": pruned},
    )
    return checkpoint
