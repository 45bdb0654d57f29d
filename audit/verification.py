"""Walking the chain: every event's hash recomputed, every link and id checked, in keyset batches."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db import connection

from audit.chain import GENESIS_HASH, HASHED_FIELDS, compute_hash
from audit.models import AuditChainHead, AuditCheckpoint, AuditEvent

_COLUMNS = (*HASHED_FIELDS, "hash")
# PostgreSQL fast path: the timestamp already in the canonical text form and the JSON as text, skipping the
# driver's datetime parsing and the ORM's converters (a third of the time per event at a million events).
_PG_BATCH = """
SELECT id, to_char(timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), actor, actor_type, action,
       target_type, target_id, host(ip), user_agent, request_id, changes::text, metadata::text, prev_hash, hash
FROM audit_auditevent WHERE id >= %s AND id <= %s ORDER BY id LIMIT %s
"""


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    bad_event_id: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.bad_event_id is None


Progress = Callable[[int, int], None]


def _start() -> tuple[int, str]:
    """(id of the first event to expect, its prev_hash): after the latest prune checkpoint, or the genesis."""
    checkpoint = AuditCheckpoint.objects.order_by("-last_event_id").first()
    if checkpoint is None:
        return 1, GENESIS_HASH
    return checkpoint.last_event_id + 1, checkpoint.last_hash


def _check(fields: dict, expected_id: int, expected_prev: str) -> str:
    if fields["id"] != expected_id:
        return f"expected event #{expected_id} next, found #{fields['id']} (events missing)"
    if fields["prev_hash"] != expected_prev:
        return "prev_hash does not match the previous event's hash (chain broken)"
    if compute_hash(fields) != fields["hash"]:
        return "hash does not match the event's content (event altered)"
    return ""


def _batch(first_id: int, stop_id: int, size: int) -> Iterator[dict]:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_PG_BATCH, [first_id, stop_id, size])
            rows = cursor.fetchall()
        for row in rows:
            fields = dict(zip(_COLUMNS, row, strict=True))
            for name in ("changes", "metadata"):
                fields[name] = json.loads(fields[name]) if fields[name] is not None else None
            yield fields
        return
    rows = AuditEvent.objects.filter(id__gte=first_id, id__lte=stop_id).order_by("id").values_list(*_COLUMNS)
    for row in rows[:size]:
        yield dict(zip(_COLUMNS, row, strict=True))


def chain_verify(*, batch_size: int = 5000, progress: Progress | None = None) -> VerifyResult:
    """Verify the chain up to the head as it is when the walk starts (appends during the walk are left
    for the next run). Returns the first bad event and why, or ok with the number of events checked."""
    head = AuditChainHead.objects.filter(pk=1).first()
    stop_id, stop_hash = (head.last_id, head.last_hash) if head else (0, GENESIS_HASH)
    expected_id, expected_prev = _start()
    total = max(stop_id - expected_id + 1, 0)
    checked = 0
    while expected_id <= stop_id:
        batch = list(_batch(expected_id, stop_id, batch_size))
        if not batch:
            break
        for fields in batch:
            reason = _check(fields, expected_id, expected_prev)
            if reason:
                return VerifyResult(checked, fields["id"], reason)
            expected_id, expected_prev = fields["id"] + 1, fields["hash"]
            checked += 1
        if progress is not None:
            progress(checked, total)
    if expected_id <= stop_id or expected_prev != stop_hash:
        return VerifyResult(checked, stop_id, f"the chain head names event #{stop_id}, which is missing or differs")
    extra = AuditEvent.objects.filter(id__lt=_start()[0]).order_by("id").values_list("id", flat=True).first()
    if extra is not None:
        return VerifyResult(checked, extra, "event before the prune checkpoint (checkpoint forged or rows re-inserted)")
    return VerifyResult(checked)
