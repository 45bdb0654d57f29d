"""Per-process memory of things this process read or checked (token claims, principals' rows, entries): a plain
dict of at most `limit` items, the oldest dropped first. Never shared state: what decides whether an item may still
be used (a nonce, a marker, an expiry) is checked by its caller on every use."""

from __future__ import annotations

from typing import Any


def remember(store: dict, key: Any, value: Any, limit: int) -> None:
    """Keep `value` under `key`, dropping the oldest item first when `store` is full (dicts keep insertion order)."""
    if key not in store and len(store) >= limit:
        store.pop(next(iter(store)), None)
    store[key] = value
