"""Reads across time and environments, from the entries and their immutable versions.

- `document_at`: an environment's resolved document as it was at an instant: per key, the last version
  written at or before it, unless that version is a deletion tombstone.
- `environment_diff`: what turns one environment's document into another's, on the real (decrypted)
  values; masking is the caller's concern.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from configurations.crypto import decrypt_value
from configurations.models import Entry, EntryVersion, Environment
from configurations.values import MASK


def _value(value: Any, value_encrypted: str) -> Any:
    return decrypt_value(value_encrypted) if value_encrypted else value


def values_at(*, environment: Environment, at: datetime) -> dict[str, tuple[Any, bool]]:
    """{key: (clear value, secret)} as of `at`."""
    rows = (
        EntryVersion.objects.filter(environment=environment, changed_at__lte=at)
        .order_by("key", "changed_at", "pk")
        .values_list("key", "value", "value_encrypted", "secret", "change")
    )
    state: dict[str, tuple[Any, bool] | None] = {}
    for key, value, value_encrypted, secret, change in rows.iterator():
        deleted = change == EntryVersion.Change.DELETED
        state[key] = None if deleted else (value, value_encrypted, secret)  # type: ignore[assignment]
    return {key: (_value(row[0], row[1]), row[2]) for key, row in sorted(state.items()) if row is not None}  # type: ignore[index]


def current_values(*, environment: Environment) -> dict[str, tuple[Any, bool]]:
    rows = (
        Entry.objects.filter(environment=environment)
        .order_by("key")
        .values_list("key", "value", "value_encrypted", "secret")
    )
    return {key: (_value(value, encrypted), secret) for key, value, encrypted, secret in rows.iterator()}


def render(values: dict[str, tuple[Any, bool]], *, clear: bool) -> tuple[bytes, str]:
    """The document's bytes (the resolved/ form) and its strong ETag."""
    document = {key: (value if clear or not secret else MASK) for key, (value, secret) in values.items()}
    body = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
    return body, f'"{hashlib.sha256(body).hexdigest()[:40]}"'


def _canonical(value: Any) -> str:
    # 1 == True == 1.0 in Python; not in JSON.
    return json.dumps(value, sort_keys=True)


def environment_diff(*, environment: Environment, against: Environment, clear: bool) -> tuple[dict, list[str]]:
    """({"added", "removed", "changed"}, the secret keys shown in clear)."""
    mine, theirs = current_values(environment=environment), current_values(environment=against)
    revealed: list[str] = []

    def shown(key: str, value: Any, secret: bool) -> Any:
        if not secret:
            return value
        if clear:
            revealed.append(key)
            return value
        return MASK

    added = {key: shown(key, *mine[key]) for key in sorted(mine.keys() - theirs.keys())}
    removed = {key: shown(key, *theirs[key]) for key in sorted(theirs.keys() - mine.keys())}
    changed = {}
    for key in sorted(mine.keys() & theirs.keys()):
        (to_value, to_secret), (from_value, from_secret) = mine[key], theirs[key]
        if _canonical(to_value) != _canonical(from_value) or to_secret != from_secret:
            changed[key] = {"from": shown(key, from_value, from_secret), "to": shown(key, to_value, to_secret)}
    return {"added": added, "removed": removed, "changed": changed}, sorted(set(revealed))
