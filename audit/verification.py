"""Walking the chain: every event's hash recomputed, every link and id checked, in batches of ids."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection

from audit.chain import GENESIS_HASH, HASH_SQL, HASHED_FIELDS, compute_hash
from audit.models import AuditChainHead, AuditCheckpoint, AuditEvent

_COLUMNS = (*HASHED_FIELDS, "hash")
# PostgreSQL: the first event of a range that is altered, unlinked or preceded by a gap, found by the server
# (HASH_SQL recomputes every hash in C; a million events take seconds instead of minutes in Python).
_PG_FIRST_BAD = f"""
SELECT id, prev_id IS NOT NULL AND prev_id <> id - 1, prev_id IS NOT NULL AND prev_row_hash <> prev_hash
FROM (SELECT id, prev_hash, hash, {HASH_SQL} AS computed,
             lag(id) OVER (ORDER BY id) AS prev_id, lag(hash) OVER (ORDER BY id) AS prev_row_hash
      FROM audit_auditevent WHERE id >= %s AND id <= %s) AS chain
WHERE computed <> hash OR (prev_id IS NOT NULL AND (prev_id <> id - 1 OR prev_row_hash <> prev_hash))
ORDER BY id LIMIT 1
"""  # noqa: S608 - constant SQL, values are parameters
_GAP, _UNLINKED, _ALTERED = (
    "events missing before it",
    "prev_hash does not match the previous event's hash (chain broken)",
    "hash does not match the event's content (event altered)",
)


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
        return f"expected event #{expected_id} next, found #{fields['id']}: {_GAP}"
    if fields["prev_hash"] != expected_prev:
        return _UNLINKED
    if compute_hash(fields) != fields["hash"]:
        return _ALTERED
    return ""


def _walk_python(first_id: int, stop_id: int, size: int, expected_prev: str) -> tuple[int, str, int | None, str]:
    """One batch checked here (SQLite): (next id, its expected prev_hash, bad id or None, reason)."""
    rows = AuditEvent.objects.filter(id__gte=first_id, id__lte=stop_id).order_by("id").values_list(*_COLUMNS)
    expected_id = first_id
    for row in rows[:size]:
        fields = dict(zip(_COLUMNS, row, strict=True))
        reason = _check(fields, expected_id, expected_prev)
        if reason:
            return expected_id, expected_prev, fields["id"], reason
        expected_id, expected_prev = fields["id"] + 1, fields["hash"]
    return expected_id, expected_prev, None, ""


def _walk_postgresql(first_id: int, stop_id: int, size: int, expected_prev: str) -> tuple[int, str, int | None, str]:
    """One batch checked by the server: its first row against the previous batch, the rest set-wise."""
    events = AuditEvent.objects.filter(id__gte=first_id, id__lte=stop_id).order_by("id")
    first = events.values_list("id", "prev_hash").first()
    if first is None:
        return first_id, expected_prev, None, ""
    if first[0] != first_id:
        return first_id, expected_prev, first[0], f"expected event #{first_id} next, found #{first[0]}: {_GAP}"
    if first[1] != expected_prev:
        return first_id, expected_prev, first[0], _UNLINKED
    last_id = min(first_id + size - 1, stop_id)
    with connection.cursor() as cursor:
        cursor.execute(_PG_FIRST_BAD, [first_id, last_id])
        bad = cursor.fetchone()
    if bad is not None:
        return first_id, expected_prev, bad[0], (_GAP if bad[1] else _UNLINKED if bad[2] else _ALTERED)
    last = events.filter(id__lte=last_id).reverse().values_list("id", "hash").first()
    return last[0] + 1, last[1], None, ""


def chain_verify(*, batch_size: int = 50000, progress: Progress | None = None) -> VerifyResult:
    """Verify the chain up to the head as it is when the walk starts (appends during the walk are left
    for the next run). Returns the first bad event and why, or ok with the number of events checked."""
    head = AuditChainHead.objects.filter(pk=1).first()
    stop_id, stop_hash = (head.last_id, head.last_hash) if head else (0, GENESIS_HASH)
    start_id, expected_prev = _start()
    walk = _walk_postgresql if connection.vendor == "postgresql" else _walk_python
    expected_id, total = start_id, max(stop_id - start_id + 1, 0)
    while expected_id <= stop_id:
        next_id, expected_prev, bad_id, reason = walk(expected_id, stop_id, batch_size, expected_prev)
        if bad_id is not None:
            return VerifyResult(max(bad_id - start_id, 0), bad_id, reason)
        if next_id == expected_id:
            break  # nothing left before the head: reported below
        expected_id = next_id
        if progress is not None:
            progress(expected_id - start_id, total)
    checked = expected_id - start_id
    if expected_id <= stop_id or expected_prev != stop_hash:
        return VerifyResult(checked, stop_id, f"the chain head names event #{stop_id}, which is missing or differs")
    extra = AuditEvent.objects.filter(id__lt=start_id).order_by("id").values_list("id", flat=True).first()
    if extra is not None:
        return VerifyResult(checked, extra, "event before the prune checkpoint (checkpoint forged or rows re-inserted)")
    return VerifyResult(checked)
