"""The resolved document of an environment: rendered bytes served cache-aside with a strong ETag.

Two cache keys per environment, read together in one round trip:
- the marker `cfg:rev:NS:ENV`, a random nonce that every writer replaces right after its commit
  (transaction.on_commit);
- the document `cfg:doc:NS:ENV:VARIANT` = (marker it was rendered under, etag, body, secret keys, sealed).
A cached document is served only under the marker it was stored with, and a reader stores a document only
under the marker it saw *before* it read the database. So a document can only be current if it was
rendered after the last writer's commit: a reader that rendered before a write and stored late stores it
under a marker that write has already replaced (plain delete-on-write would let it become current), and
two writers publishing out of order just leave a nonce that no older document carries. A missing marker
is created by a reader with ADD (never overwriting a writer's). If the cache is unreachable when a
writer publishes, CONFIG_RESOLVED_CACHE_TTL bounds how long the old marker can live.

Each process also remembers the documents it served, by the marker they belong to (`_memo`, at most
MEMO_MAX_BYTES of bodies): a request then reads only the marker from the shared cache, a few bytes,
instead of the whole document (410 KB for 10,000 entries, and decrypted when sealed). The same rule holds:
a remembered document is served only under the marker it was stored or rendered under.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.http import parse_etags

from configurations.crypto import decrypt_value, fernet
from configurations.models import Entry, Environment
from configurations.values import MASK
from configurations.watch_channel import publish as publish_change
from core import cache
from core.errors import NotFoundError


@dataclass(frozen=True)
class ResolvedDocument:
    marker: str
    etag: str
    body: bytes
    secret_keys: tuple[str, ...]


def marker_key(namespace: str, environment: str) -> str:
    return f"cfg:rev:{namespace}:{environment}"


def document_key(namespace: str, environment: str, *, clear: bool) -> str:
    return f"cfg:doc:{namespace}:{environment}:{'clear' if clear else 'masked'}"


def cache_keys(namespace: str, environment: str, *, clear: bool) -> list[str]:
    """What a request reads from the shared cache: the marker, and the document unless this process has one."""
    keys = [marker_key(namespace, environment)]
    if not remembers(namespace, environment, clear=clear):
        keys.append(document_key(namespace, environment, clear=clear))
    return keys


class _Memo:
    """The documents this process served, by (namespace, environment, clear), oldest first."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.documents: dict[tuple[str, str, bool], ResolvedDocument] = {}
        self._size = 0
        self._lock = threading.Lock()

    def get(self, namespace: str, environment: str, clear: bool, marker: object) -> ResolvedDocument | None:
        document = self.documents.get((namespace, environment, clear))
        return document if document is not None and marker and document.marker == marker else None

    def put(self, namespace: str, environment: str, clear: bool, document: ResolvedDocument) -> None:
        if len(document.body) > self.max_bytes:
            return
        with self._lock:
            old = self.documents.pop((namespace, environment, clear), None)
            self._size -= len(old.body) if old is not None else 0
            while self.documents and self._size + len(document.body) > self.max_bytes:
                self._size -= len(self.documents.pop(next(iter(self.documents))).body)
            self.documents[(namespace, environment, clear)] = document
            self._size += len(document.body)


MEMO_MAX_BYTES = 32 * 1024 * 1024
_memo = _Memo(MEMO_MAX_BYTES)


def remembered(namespace: str, environment: str, *, clear: bool, marker: object) -> ResolvedDocument | None:
    """This process's copy of the document, if it is of `marker` (the current one, read from the cache)."""
    return _memo.get(namespace, environment, clear, marker)


def remembers(namespace: str, environment: str, *, clear: bool) -> bool:
    """Whether this process has a copy of the document (of some marker)."""
    return (namespace, environment, clear) in _memo.documents


def answer_headers(document: ResolvedDocument) -> dict[str, str]:
    """The headers of the document's answer, 200 or 304."""
    return {"ETag": document.etag, "Cache-Control": "private, no-cache"}


def not_modified(document: ResolvedDocument, if_none_match: str | None) -> bool:
    """Whether `If-None-Match` names the document's ETag (or is `*`): the answer is a 304."""
    return bool(if_none_match) and (document.etag in parse_etags(if_none_match) or if_none_match.strip() == "*")


def _from_cache(values: dict[str, Any], namespace: str, environment: str, *, clear: bool) -> ResolvedDocument | None:
    marker = values.get(marker_key(namespace, environment))
    cached = values.get(document_key(namespace, environment, clear=clear))
    if marker is None or not isinstance(cached, tuple) or cached[0] != marker:
        return None
    _, etag, body, secret_keys, sealed = cached
    # Clear documents holding secrets are kept encrypted in the cache too.
    return ResolvedDocument(marker, etag, fernet().decrypt(body) if sealed else body, secret_keys)


def _render(namespace: str, environment: str, marker: str, *, clear: bool) -> ResolvedDocument:
    environment_id = (
        Environment.objects.filter(namespace__slug=namespace, slug=environment).values_list("pk", flat=True).first()
    )
    if environment_id is None:
        raise NotFoundError("No such environment.")
    rows = (
        Entry.objects.filter(environment_id=environment_id)
        .order_by("key")
        .values_list("key", "value", "value_encrypted", "secret")
    )
    document: dict[str, Any] = {}
    secret_keys = []
    for key, value, value_encrypted, secret in rows.iterator():
        if secret:
            secret_keys.append(key)
            document[key] = decrypt_value(value_encrypted) if clear else MASK
        else:
            document[key] = value
    body = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
    etag = f'"{hashlib.sha256(body).hexdigest()[:40]}"'
    return ResolvedDocument(marker, etag, body, tuple(secret_keys))


def _store(namespace: str, environment: str, document: ResolvedDocument, *, clear: bool) -> None:
    ttl = settings.CONFIG_RESOLVED_CACHE_TTL
    sealed = clear and bool(document.secret_keys)
    body = fernet().encrypt(document.body) if sealed else document.body
    cached = (document.marker, document.etag, body, document.secret_keys, sealed)
    cache.set_value(document_key(namespace, environment, clear=clear), cached, ttl)


def resolved_document(
    *, namespace: str, environment: str, clear: bool, prefetched: dict[str, Any] | None = None
) -> ResolvedDocument:
    """The environment's document: this process's copy under the current marker, else the shared cache's,
    else rendered from the database and stored in both. One round trip, or none when `prefetched` holds
    the values of `cache_keys(...)`; a second one only when this process has no copy of it."""
    values = prefetched if prefetched is not None else cache.get_many(cache_keys(namespace, environment, clear=clear))
    current = values.get(marker_key(namespace, environment))
    copy = remembered(namespace, environment, clear=clear, marker=current)
    if copy is not None:
        return copy
    key = document_key(namespace, environment, clear=clear)
    if key not in values and current is not None:
        values = {**values, **cache.get_many([key])}  # the copy this process had is of another marker
    document = _from_cache(values, namespace, environment, clear=clear)
    if document is None:
        marker = storable_marker(namespace, environment, values)
        document = _render(namespace, environment, marker, clear=clear)  # the database, read after the marker
        if not marker:
            return document
        _store(namespace, environment, document, clear=clear)
    _memo.put(namespace, environment, clear, document)
    return document


def storable_marker(namespace: str, environment: str, values: dict[str, Any]) -> str:
    """The marker to store what is read from the database next under (core.cache.storable_marker)."""
    return cache.storable_marker(marker_key(namespace, environment), values, settings.CONFIG_RESOLVED_CACHE_TTL)


def invalidate_on_commit(environment: Environment) -> None:
    """After the current transaction commits, replace the environment's marker: every cached document
    of it stops being served, on every instance, before the writer's response is sent; then wake the watchers
    of every instance (configurations.watch)."""
    namespace, slug = environment.namespace.slug, environment.slug
    key = marker_key(namespace, slug)
    cache.replace_marker_on_commit(key, settings.CONFIG_RESOLVED_CACHE_TTL)
    transaction.on_commit(lambda: publish_change(namespace, slug))
