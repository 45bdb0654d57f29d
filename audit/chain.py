"""The hash chain: canonical serialization of an event, its SHA-256, and normalization of stored values.

hash = SHA-256(canonical JSON of the event's fields, `prev_hash` included; `hash` itself excluded). The
canonical JSON has sorted keys, no whitespace and UTF-8; the timestamp is UTC with microseconds and a `Z`.
Values are normalized *before* they are stored (`normalize_json`, `normalize_ip`) so that what PostgreSQL
(jsonb, inet) or SQLite give back serializes to exactly the bytes that were hashed.
Hand-written: the chain format is ours; no library defines it.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import json
import math
from collections.abc import Mapping
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

GENESIS_HASH = ""
HASHED_FIELDS = (
    "id",
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
        # jsonb gives 1e20 back as the integer 100000000000000000000 and 2.0 as 2.0 -> 2.0; ints are stable.
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
    """The address as both Python and PostgreSQL's inet print it, or None when it is not an IP address."""
    if not value:
        return None
    try:
        address = ipaddress.ip_address(value.split("%", 1)[0])
    except ValueError:
        return None
    return str(address)


def canonical_bytes(fields: Mapping[str, Any]) -> bytes:
    payload = {name: fields[name] for name in HASHED_FIELDS}
    timestamp = payload["timestamp"]
    if isinstance(timestamp, dt.datetime):
        payload["timestamp"] = format_timestamp(timestamp)
    # Databases print some addresses differently (PostgreSQL: "::1.2.3.4", Python: "::102:304").
    if payload["ip"] and ":" in payload["ip"]:
        payload["ip"] = normalize_ip(payload["ip"])
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def compute_hash(fields: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical serialization of an event's HASHED_FIELDS."""
    return hashlib.sha256(canonical_bytes(fields)).hexdigest()
