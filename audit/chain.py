"""The hash chain: canonical serialization of an event, its SHA-256, and normalization of stored values.

hash = SHA-256 (hex) of the UTF-8 text PostgreSQL prints for
    jsonb_build_array(id, seq, timestamp as "YYYY-MM-DDTHH:MM:SS.ffffffZ" in UTC, actor, actor_type, action,
                      target_type, target_id, host(ip), user_agent, request_id, changes, metadata, prev_hash)
i.e. a JSON array in jsonb's output form (object keys shortest first then bytewise, ", " and ": "
separators, numbers as numeric prints them). On PostgreSQL the database computes it (`HASH_SQL`), when the
event is sealed and when the chain is verified, so both sides agree by construction and a million events
verify in seconds without leaving the server. `canonical_text` is the same serialization in Python, used
on SQLite and by tests; `normalize_json` makes values round-trip stable before they are stored.
Hand-written: the chain format is ours; no library defines it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import json
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

GENESIS_HASH = ""
HASHED_FIELDS = (
    "id",
    "seq",
    "timestamp",
    "actor",
    "actor_type",
    "action",
    "target_type",
    "target_id",
    "ip",
    "user_agent",
    "request_id",
    "changes",
    "metadata",
    "prev_hash",
)

_TIMESTAMP_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'


def canonical_sql(row: str = "", seq: str = "seq", prev_hash: str = "prev_hash") -> str:
    """CANONICAL_SQL over the columns of `row` (a table alias, or none), with seq and prev_hash expressions."""
    c = f"{row}." if row else ""
    return (
        f"jsonb_build_array({c}id, {seq}, to_char({c}timestamp AT TIME ZONE 'UTC', '{_TIMESTAMP_FORMAT}'), "
        f"{c}actor, {c}actor_type, {c}action, {c}target_type, {c}target_id, host({c}ip), {c}user_agent, "
        f"{c}request_id, {c}changes, {c}metadata, {prev_hash})::text"
    )


def hash_sql(row: str = "", seq: str = "seq", prev_hash: str = "prev_hash") -> str:
    return f"encode(sha256(convert_to({canonical_sql(row, seq, prev_hash)}, 'UTF8')), 'hex')"


CANONICAL_SQL = canonical_sql()
HASH_SQL = hash_sql()

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def format_timestamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _normalize(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(key): _normalize(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_normalize(item) for item in value]
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        # jsonb prints 1e20 as 100000000000000000000, which Python loads as an int: integral floats become ints.
        return int(value) if value.is_integer() else value
    if isinstance(value, str):
        return value.replace("\x00", "")  # PostgreSQL text and jsonb refuse NUL
    return value


def normalize_json(value: Any) -> Any:
    """`value` as plain JSON types (dates, UUIDs, Decimals as DjangoJSONEncoder writes them), round-trip stable."""
    if value is None:
        return None
    return _normalize(json.loads(json.dumps(value, cls=DjangoJSONEncoder)))


def normalize_ip(value: str | None) -> str | None:
    """The address in Python's canonical form (scope dropped), or None when it is not an IP address."""
    if not value:
        return None
    try:
        address = ipaddress.ip_address(value.split("%", 1)[0])
    except ValueError:
        return None
    return str(address)


def _string(value: str) -> str:
    # PostgreSQL's escape_json: the short escapes, other control characters as \u00xx, the rest verbatim.
    return '"' + "".join(_ESCAPES.get(c) or (f"\\u{ord(c):04x}" if c < " " else c) for c in value) + '"'


def _json(value: Any) -> str:
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")  # numeric prints 1.5e-07 as 0.00000015
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, Mapping):
        keys = sorted(value, key=lambda key: (len(key.encode()), key.encode()))
        return "{" + ", ".join(f"{_string(key)}: {_json(value[key])}" for key in keys) + "}"
    return "[" + ", ".join(_json(item) for item in value) + "]"


def canonical_text(fields: Mapping[str, Any]) -> str:
    """What PostgreSQL's CANONICAL_SQL prints for an event with these (normalized) field values."""
    values = [fields[name] for name in HASHED_FIELDS]
    if isinstance(values[2], dt.datetime):
        values[2] = format_timestamp(values[2])
    values[8] = normalize_ip(values[8])
    return _json(values)


def compute_hash(fields: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of `canonical_text(fields)`."""
    return hashlib.sha256(canonical_text(fields).encode("utf-8")).hexdigest()
