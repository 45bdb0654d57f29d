"""`Authorization: Api-Key <key>` for machine clients reading one environment's configuration.

Keys are 256-bit random strings, so SHA-256 suffices to store them: a slow password hash protects
low-entropy secrets from guessing, but nobody can enumerate 2^256 candidates, and a fast hash lets the
key be looked up by an index (and its validity cached by its hash) instead of costing ~50 ms a request.

The hot path costs no database query: a key's validity is cached under its hash for
CONFIG_API_KEY_CACHE_TTL seconds (revocation removes it at once), fetched in the same round trip as the
cache keys the view is about to read (core.cache.view_prefetch_keys), handed to the view in
`request.prefetched_cache`. last_used_at is written at most once per CONFIG_API_KEY_LAST_USED_INTERVAL.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import astuple, dataclass, fields, replace
from datetime import timedelta
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q
from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from configurations.models import ApiKey
from core import cache

KEYWORD = "Api-Key"
_INVALID = "invalid"
_MAX_KEY_LENGTH = 128


@dataclass(frozen=True)
class ApiKeyPrincipal:
    """The authenticated key as `request.auth`: what the views and the audit trail need of it."""

    audit_actor_type: ClassVar[str] = ApiKey.audit_actor_type

    pk: str
    namespace_slug: str
    environment_slug: str
    expires_at: float | None
    last_used_at: float | None

    def may_read(self, namespace: str | None, environment: str | None) -> bool:
        return (namespace, environment) == (self.namespace_slug, self.environment_slug)


def hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def record_cache_key(key_hash: str) -> str:
    return f"cfg:apikey:{key_hash}"


def forget_keys(key_hashes: list[str]) -> None:
    """Drop cached validity (after a revocation or deletion commits)."""
    if key_hashes:
        cache.delete_many([record_cache_key(key_hash) for key_hash in key_hashes])


def _timestamp(value) -> float | None:
    return value.timestamp() if value is not None else None


def _load(key_hash: str) -> ApiKeyPrincipal | None:
    row = (
        ApiKey.objects.filter(key_hash=key_hash, revoked_at__isnull=True)
        .values_list("pk", "environment__namespace__slug", "environment__slug", "expires_at", "last_used_at")
        .first()
    )
    if row is None:
        return None
    pk, namespace, environment, expires_at, last_used_at = row
    return ApiKeyPrincipal(str(pk), namespace, environment, _timestamp(expires_at), _timestamp(last_used_at))


def _cached(value: object) -> ApiKeyPrincipal | str | None:
    """The principal from its cached tuple (plain data, so a deploy that changes the class cannot break
    unpickling); None when absent or of another shape."""
    if value == _INVALID:
        return _INVALID
    if isinstance(value, tuple) and len(value) == len(fields(ApiKeyPrincipal)):
        return ApiKeyPrincipal(*value)
    return None


def _touch(principal: ApiKeyPrincipal, key_hash: str, now: float) -> ApiKeyPrincipal:
    """Record the use, at most once per interval; the conditional UPDATE keeps other workers from repeating it."""
    interval = settings.CONFIG_API_KEY_LAST_USED_INTERVAL
    if principal.last_used_at is not None and now - principal.last_used_at < interval:
        return principal
    moment = timezone.now()
    ApiKey.objects.filter(pk=principal.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=moment - timedelta(seconds=interval))
    ).update(last_used_at=moment)
    touched = replace(principal, last_used_at=now)
    cache.set_value(record_cache_key(key_hash), astuple(touched), settings.CONFIG_API_KEY_CACHE_TTL)
    return touched


def header_key_hash(header: str) -> str | None:
    """The hash of the key in an `Authorization` header value; None for another scheme, "" for a malformed key."""
    scheme, _, raw_key = header.partition(" ")
    if scheme != KEYWORD:
        return None
    raw_key = raw_key.strip()
    return hash_key(raw_key) if raw_key and len(raw_key) <= _MAX_KEY_LENGTH else ""


def settled_principal(cached: object, now: float) -> ApiKeyPrincipal | None:
    """The key as cached, when nothing is left to check or write: live, unexpired, its last use recorded
    (what the hot lane, core.lane, may serve without the database)."""
    principal = _cached(cached)
    if not isinstance(principal, ApiKeyPrincipal) or (principal.expires_at is not None and principal.expires_at <= now):
        return None
    last_used = principal.last_used_at
    return principal if last_used is not None and now - last_used < settings.CONFIG_API_KEY_LAST_USED_INTERVAL else None


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[AnonymousUser, ApiKeyPrincipal] | None:
        key_hash = header_key_hash(request.META.get("HTTP_AUTHORIZATION", ""))
        if key_hash is None:
            return None
        if not key_hash:
            raise exceptions.AuthenticationFailed("Invalid API key.")
        record_key = record_cache_key(key_hash)
        values = cache.get_many([record_key, *cache.view_prefetch_keys(request, api_key=True)])
        request.prefetched_cache = values  # type: ignore[attr-defined]
        principal = _cached(values.get(record_key))
        if principal is None:
            principal = _load(key_hash) or _INVALID
            cached = astuple(principal) if isinstance(principal, ApiKeyPrincipal) else principal
            cache.set_value(record_key, cached, settings.CONFIG_API_KEY_CACHE_TTL)
        if not isinstance(principal, ApiKeyPrincipal):
            raise exceptions.AuthenticationFailed("Invalid API key.")
        now = time.time()
        if principal.expires_at is not None and principal.expires_at <= now:
            raise exceptions.AuthenticationFailed("The API key has expired.")
        return AnonymousUser(), _touch(principal, key_hash, now)

    def authenticate_header(self, request: Request) -> str:
        return f'{KEYWORD} realm="api"'
