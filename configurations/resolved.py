"""The resolved document of an environment: rendered bytes served cache-aside with a strong ETag.

Two cache keys per environment, read together in one round trip:
- the revision marker `cfg:rev:NS:ENV` = "<environment pk>.<revision>", SET by every writer right after
  its commit (transaction.on_commit), with the revision read back from the database;
- the document `cfg:doc:NS:ENV:VARIANT` = (marker it was rendered at, etag, body, secret keys, sealed).
A cached document is served only when its marker equals the current one, so a reader that rendered an
old revision and stored it late can never make it current again (plain delete-on-write would allow
that). A reader renders by reading the revision *before* the entries, so a document's content is never
older than its marker. Readers only ADD a missing marker, never overwrite a writer's.
Left open: two writers of one environment whose post-commit publications interleave (the earlier one
reads its revision before the later commit and sets it after the later one's SET) leave an old marker
until the next write or the TTL; narrowing that further needs an atomic max in Redis (a Lua script).
If the cache is unreachable when a writer publishes, the TTL (CONFIG_RESOLVED_CACHE_TTL) bounds staleness.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction

from configurations import cache
from configurations.crypto import decrypt_value, fernet
from configurations.models import Entry, Environment
from configurations.values import MASK
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
    return [marker_key(namespace, environment), document_key(namespace, environment, clear=clear)]


def _from_cache(values: dict[str, Any], namespace: str, environment: str, *, clear: bool) -> ResolvedDocument | None:
    marker = values.get(marker_key(namespace, environment))
    cached = values.get(document_key(namespace, environment, clear=clear))
    if marker is None or not isinstance(cached, tuple) or cached[0] != marker:
        return None
    _, etag, body, secret_keys, sealed = cached
    # Clear documents holding secrets are kept encrypted in the cache too.
    return ResolvedDocument(marker, etag, fernet().decrypt(body) if sealed else body, secret_keys)


def _render(namespace: str, environment: str, *, clear: bool) -> ResolvedDocument:
    env = (
        Environment.objects.filter(namespace__slug=namespace, slug=environment)
        .values_list("pk", "revision")
        .first()
    )
    if env is None:
        raise NotFoundError("No such environment.")
    rows = Entry.objects.filter(environment_id=env[0]).order_by("key").values_list(
        "key", "value", "value_encrypted", "secret"
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
    return ResolvedDocument(f"{env[0]}.{env[1]}", etag, body, tuple(secret_keys))


def _store(namespace: str, environment: str, document: ResolvedDocument, *, clear: bool) -> None:
    ttl = settings.CONFIG_RESOLVED_CACHE_TTL
    sealed = clear and bool(document.secret_keys)
    body = fernet().encrypt(document.body) if sealed else document.body
    cached = (document.marker, document.etag, body, document.secret_keys, sealed)
    cache.set_value(document_key(namespace, environment, clear=clear), cached, ttl)
    cache.set_value(marker_key(namespace, environment), document.marker, ttl, only_if_absent=True)


def resolved_document(
    *, namespace: str, environment: str, clear: bool, prefetched: dict[str, Any] | None = None
) -> ResolvedDocument:
    """The environment's document from the cache (one round trip, or none when `prefetched` holds the
    values of `cache_keys(...)`), else rendered from the database and stored."""
    values = prefetched if prefetched is not None else cache.get_many(cache_keys(namespace, environment, clear=clear))
    document = _from_cache(values, namespace, environment, clear=clear)
    if document is None:
        document = _render(namespace, environment, clear=clear)
        _store(namespace, environment, document, clear=clear)
    return document


def invalidate_on_commit(environment: Environment) -> None:
    """After the current transaction commits, publish the environment's new revision marker."""
    namespace_slug = environment.namespace.slug
    environment_slug = environment.slug
    environment_pk = environment.pk

    def publish() -> None:
        revision = Environment.objects.filter(pk=environment_pk).values_list("revision", flat=True).first()
        # A deleted environment gets a marker no document carries, so a late reader cannot ADD an old one.
        marker = f"{environment_pk}.{'deleted' if revision is None else revision}"
        cache.set_value(marker_key(namespace_slug, environment_slug), marker, settings.CONFIG_RESOLVED_CACHE_TTL)

    transaction.on_commit(publish)
