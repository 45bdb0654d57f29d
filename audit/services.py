"""The audit trail's one entry point (`record`) and its one destructive path (`events_prune`)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from audit.chain import HASHED_FIELDS, compute_hash, normalize_ip, normalize_json
from audit.context import current_request
from audit.models import ActorType, AuditChainHead, AuditCheckpoint, AuditEvent
from audit.redaction import scrub_text, strip_secrets
from core.net import client_ip
from core.request_context import current_request_id

_ACTION = re.compile(r"^[a-z0-9_-]+(\.[a-z0-9_-]+)+$")


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
    """The chain head, locked until the current transaction ends: seals (and prunes) are serialized here."""
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        last = AuditEvent.objects.filter(seq__isnull=False).order_by("-seq").values("seq", "hash").first()
        last = last or {"seq": 0, "hash": ""}
        AuditChainHead.objects.bulk_create(
            [AuditChainHead(pk=1, last_seq=last["seq"], last_hash=last["hash"])], ignore_conflicts=True
        )
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    return head


def _sanitize(value: Any) -> Any:
    """Plain JSON with secrets stripped (audit.redaction)."""
    return strip_secrets(normalize_json(value))


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

    Runs inside the caller's transaction: the event commits or rolls back with the change. It is chained
    (sealed: seq, prev_hash, hash) right after that commit, under the chain-head lock, so a rolled-back
    event never takes a place in the chain and the lock never meets the caller's row locks (no deadlock).
    Outside any transaction the event is sealed at once. The returned event's `id` is set; inside a
    transaction its `seq`/`hash` are known only after the commit.
    """
    return _append(
        action,
        actor=actor,
        target=target,
        changes=_sanitize(changes) if changes is not None else None,
        metadata=_sanitize(metadata or {}),
        request=request,
    )


def record_model_change(
    verb: str, instance: models.Model, changes: dict[str, Any], *, request: Any = None
) -> AuditEvent:
    """An admin edit of a model without a service (audit.registry): `model.<app>.<model>.<verb>`."""
    return _append(
        f"model.{instance._meta.label_lower}.{verb}",
        actor=None,
        target=instance,
        changes=_sanitize(changes),
        metadata={},
        request=request,
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
        timestamp=timezone.now(),
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
    event.save(force_insert=True)  # unsealed, in the caller's transaction: it commits or rolls back with it
    if connection.in_atomic_block:
        if not any(callback is events_seal for _, callback, _ in connection.run_on_commit):
            transaction.on_commit(events_seal, robust=True)  # robust: a failed seal is retried by the next one
    else:
        events_seal()
        event.refresh_from_db(fields=["seq", "prev_hash", "hash"])
    return event


_SEAL_BATCH = 500


def _seal_one(event_id: int, seq: int, prev_hash: str) -> str:
    """SQLite's seal of one event (PostgreSQL seals in audit_seal_pending(), hashing in the database)."""
    fields = AuditEvent.objects.filter(pk=event_id).values(*HASHED_FIELDS).get()
    fields.update(seq=seq, prev_hash=prev_hash)
    digest = compute_hash(fields)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET seq = %s, prev_hash = %s, hash = %s WHERE id = %s AND hash IS NULL",
            [seq, prev_hash, digest, event_id],
        )
    return digest


def events_seal() -> int:
    """Chain every committed, unsealed event (oldest id first) under the chain-head lock; returns how many.

    Runs right after the commit of every transaction that recorded (on_commit) in a short transaction of its
    own that takes no other lock; audit_verify runs it first too, so an event whose process died between
    its commit and its seal is sealed late rather than never. On PostgreSQL that transaction is one
    statement, `audit_seal_pending()` (migration 0005): the same steps as below without their round trips.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT audit_seal_pending()")
            return cursor.fetchone()[0]
    sealed = 0
    with transaction.atomic():
        head = _lock_head()
        seq, last_hash = head.last_seq, head.last_hash
        while True:
            pending = list(
                AuditEvent.objects.filter(hash__isnull=True).order_by("id").values_list("id", flat=True)[:_SEAL_BATCH]
            )
            for event_id in pending:
                seq += 1
                last_hash = _seal_one(event_id, seq, last_hash)
            sealed += len(pending)
            if len(pending) < _SEAL_BATCH:
                break
        if sealed:
            AuditChainHead.objects.filter(pk=1).update(last_seq=seq, last_hash=last_hash)
    return sealed


@transaction.atomic
def events_prune(*, before: dt.datetime) -> AuditCheckpoint | None:
    """Delete the sealed events older than `before`, leaving a checkpoint (and an `audit.pruned` event) from
    which the rest of the chain still verifies. Returns None when there was nothing to prune.

    On PostgreSQL the delete and its checkpoint are one call of audit_prune_before() (migration 0004), the
    only path the immutability trigger lets a DELETE through, and only for the tables' owner."""
    _lock_head()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pruned_seq, pruned_hash, pruned_count FROM audit_prune_before(%s)", [before])
            row = cursor.fetchone()
        if row is None:
            return None
        checkpoint = AuditCheckpoint.objects.filter(last_seq=row[0]).order_by("-id").first()
    else:
        checkpoint = _prune_portable(before)
        if checkpoint is None:
            return None
    record(
        "audit.pruned",
        metadata={
            "before": before,
            "last_seq": checkpoint.last_seq,
            "last_hash": checkpoint.last_hash,
            "pruned": checkpoint.pruned_count,
        },
    )
    return checkpoint


def _prune_portable(before: dt.datetime) -> AuditCheckpoint | None:
    """audit_prune_before() for SQLite, which has neither the trigger nor roles."""
    old = AuditEvent.objects.filter(timestamp__lt=before, seq__isnull=False)
    last = old.order_by("-seq").values("seq", "hash").first()
    if last is None:
        return None
    pruned = AuditEvent.objects.filter(seq__lte=last["seq"]).count()
    checkpoint = AuditCheckpoint.objects.create(
        created_at=timezone.now(), before=before, last_seq=last["seq"], last_hash=last["hash"], pruned_count=pruned
    )
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq <= %s", [last["seq"]])
    return checkpoint
