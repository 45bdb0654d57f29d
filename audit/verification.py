"""Walking the chain: every event's hash recomputed, every link and id checked, in batches of ids."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection

from audit.chain import GENESIS_HASH, HASH_SQL, HASHED_FIELDS, compute_hash
from audit.models import AuditChainHead, AuditCheckpoint, AuditEvent
from audit.services import events_seal

_COLUMNS = (*HASHED_FIELDS, "hash")
# PostgreSQL: the first event of a range that is altered, unlinked or preceded by a gap, found by the server
# (HASH_SQL recomputes every hash in C; a million events take seconds instead of minutes in Python).
_PG_FIRST_BAD = f"""
SELECT id, prev_seq IS NOT NULL AND prev_seq <> seq - 1, prev_seq IS NOT NULL AND prev_row_hash <> prev_hash
FROM (SELECT id, seq, prev_hash, hash, {HASH_SQL} AS computed,
             lag(seq) OVER (ORDER BY seq) AS prev_seq, lag(hash) OVER (ORDER BY seq) AS prev_row_hash
      FROM audit_auditevent WHERE seq >= %s AND seq <= %s) AS chain
WHERE computed IS DISTINCT FROM hash OR (prev_seq IS NOT NULL AND (prev_seq <> seq - 1 OR prev_row_hash <> prev_hash))
ORDER BY seq LIMIT 1
"""  # noqa: S608  # nosec B608 - constant SQL fragments, values are parameters
_GAP, _UNLINKED, _ALTERED = (
    "events missing before it",
    "prev_hash does not match the previous event's hash (chain broken)",
    "hash does not match the event's content (event altered)",
)


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    bad_event_id: int | None = None  # None when the bad event is gone (a removed tail)
    reason: str = ""

    @property
    def ok(self) -> bool:
        return not self.reason


Progress = Callable[[int, int], None]


def _start() -> tuple[int, str]:
    """(id of the first event to expect, its prev_hash): after the latest prune checkpoint, or the genesis."""
    checkpoint = AuditCheckpoint.objects.order_by("-last_seq").first()
    if checkpoint is None:
        return 1, GENESIS_HASH
    return checkpoint.last_seq + 1, checkpoint.last_hash


def _check(fields: dict, expected_seq: int, expected_prev: str) -> str:
    if fields["seq"] != expected_seq:
        return f"expected seq {expected_seq} next, found seq {fields['seq']}: {_GAP}"
    if fields["prev_hash"] != expected_prev:
        return _UNLINKED
    if compute_hash(fields) != fields["hash"]:
        return _ALTERED
    return ""


Walk = tuple[int, str, int | None, str]  # (next seq, its expected prev_hash, bad event id or None, reason)


def _walk_python(first_seq: int, stop_seq: int, size: int, expected_prev: str) -> Walk:
    """One batch checked here (SQLite)."""
    rows = AuditEvent.objects.filter(seq__gte=first_seq, seq__lte=stop_seq).order_by("seq").values_list(*_COLUMNS)
    expected_seq = first_seq
    for row in rows[:size]:
        fields = dict(zip(_COLUMNS, row, strict=True))
        reason = _check(fields, expected_seq, expected_prev)
        if reason:
            return expected_seq, expected_prev, fields["id"], reason
        expected_seq, expected_prev = fields["seq"] + 1, fields["hash"]
    return expected_seq, expected_prev, None, ""


def _walk_postgresql(first_seq: int, stop_seq: int, size: int, expected_prev: str) -> Walk:
    """One batch checked by the server: its first event against the previous batch, the rest set-wise."""
    events = AuditEvent.objects.filter(seq__gte=first_seq, seq__lte=stop_seq).order_by("seq")
    first = events.values_list("id", "seq", "prev_hash").first()
    if first is None:
        return first_seq, expected_prev, None, ""
    if first[1] != first_seq:
        return first_seq, expected_prev, first[0], f"expected seq {first_seq} next, found seq {first[1]}: {_GAP}"
    if first[2] != expected_prev:
        return first_seq, expected_prev, first[0], _UNLINKED
    last_seq = min(first_seq + size - 1, stop_seq)
    with connection.cursor() as cursor:
        cursor.execute(_PG_FIRST_BAD, [first_seq, last_seq])
        bad = cursor.fetchone()
    if bad is not None:
        return first_seq, expected_prev, bad[0], (_GAP if bad[1] else _UNLINKED if bad[2] else _ALTERED)
    last = events.filter(seq__lte=last_seq).reverse().values_list("seq", "hash").first()
    return last[0] + 1, last[1], None, ""


def chain_verify(*, batch_size: int = 50000, progress: Progress | None = None) -> VerifyResult:
    """Seal what is pending, then verify the chain up to the head as it is when the walk starts (appends
    during the walk are left for the next run). Returns the first bad event (its id) and why, or ok with the
    number of events checked."""
    events_seal()
    head = AuditChainHead.objects.filter(pk=1).first()
    stop_seq, stop_hash = (head.last_seq, head.last_hash) if head else (0, GENESIS_HASH)
    start_seq, expected_prev = _start()
    walk = _walk_postgresql if connection.vendor == "postgresql" else _walk_python
    expected_seq, total = start_seq, max(stop_seq - start_seq + 1, 0)
    while expected_seq <= stop_seq:
        next_seq, expected_prev, bad_id, reason = walk(expected_seq, stop_seq, batch_size, expected_prev)
        if bad_id is not None:
            return VerifyResult(expected_seq - start_seq, bad_id, reason)
        if next_seq == expected_seq:
            break  # nothing left before the head: reported below
        expected_seq = next_seq
        if progress is not None:
            progress(expected_seq - start_seq, total)
    checked = expected_seq - start_seq
    if expected_seq <= stop_seq or expected_prev != stop_hash:
        reason = f"the chain head names seq {stop_seq}: events up to it are missing or differ (tail removed)"
        return VerifyResult(checked, None, reason)
    extra = AuditEvent.objects.filter(seq__lt=start_seq).order_by("seq").values_list("id", flat=True).first()
    if extra is not None:
        return VerifyResult(checked, extra, "event before the prune checkpoint (checkpoint forged or rows re-inserted)")
    return VerifyResult(checked)
