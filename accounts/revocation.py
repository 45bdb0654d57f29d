"""Session state on the shared cache, with the database as the source of truth.

An authenticated request costs one cache round trip and no query: it reads the session's key, which
holds either REVOKED or the minimal principal (accounts.principal: id, active, superuser, permissions,
never the row), together with the permissions version, a token that changes whenever a group's or a
user's permissions change. A state read under another version is stale.

On a miss (or a cache outage) the database answers, and its answer is cached with `add`, so it never
overwrites a revocation written in the meantime (a stale state is deleted *before* the database is
read, for the same reason). Every invalidation is written twice: at once, and again after its
transaction commits, because a request served between the two may have read the pre-commit row from
the database and cached it. A revocation is thus seen by every worker and instance from the moment it
happens. (Should the transaction roll back, the session merely looks revoked until the marker expires:
the safe side.) A saved user drops its sessions' states (`forget_user`), a deactivated or deleted one
revokes them. Markers live at most as long as an access token does.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from accounts.models import User, UserSession
from accounts.principal import Principal, PrincipalState
from core.cache import cache_optional, cache_required
from core.throttles import pending_user_hit, read_and_hit

REVOKED = "revoked"
PERMISSIONS_VERSION_KEY = "accounts:permissions-version"


def _key(session_id: object) -> str:
    return f"accounts:session:{session_id}"


def _now_and_after_commit(write) -> None:
    write()
    transaction.on_commit(write, robust=True)  # already written once: an outage now must not fail a commit


def session_keys(session_id: str) -> list[str]:
    """What a request reads from the shared cache to know its session: the session's state, the permissions version."""
    return [_key(session_id), PERMISSIONS_VERSION_KEY]


def session_principal(
    session_id: str, request: Any = None, user_id: str = "", prefetch: Iterable[str] = ()
) -> Principal | None:
    """The principal of a live session; None when the session is revoked, expired or unknown. With the
    `request` (and the token's `user_id`), the per-user throttle check rides the same round trip, and so do
    the `prefetch` keys, whose values wait on the request as `prefetched_cache`."""
    key = _key(session_id)
    prefetch = list(prefetch)
    values: dict = {}
    hit = pending_user_hit(request, user_id) if request is not None and user_id else None
    with cache_optional("the session check"):
        values = read_and_hit(request.META if request is not None else {}, [*session_keys(session_id), *prefetch], hit)
        if request is not None and prefetch:  # not after an outage: the view reads (or not) on its own
            request.prefetched_cache = {name: values[name] for name in prefetch if name in values}
    state = values.get(key)
    if state == REVOKED:
        return None
    principal = settled_principal(session_id, values)
    if principal is not None:
        return principal
    if state is not None:  # stale: gone before the database is read, so a revocation cannot be lost
        with cache_optional("the session check"):
            cache.delete(key)
    return _session_from_database(session_id, key, values.get(PERMISSIONS_VERSION_KEY, ""))


def settled_principal(session_id: str, values: dict[str, Any]) -> Principal | None:
    """The principal of the session's cached state in `values` (read with `session_keys`) when it is current;
    None when revoked, stale or absent (then only the database can tell)."""
    cached = PrincipalState.from_cache(values.get(_key(session_id)))
    if cached is not None and cached.permissions_version == values.get(PERMISSIONS_VERSION_KEY, ""):
        return Principal(cached)
    return None


def _session_from_database(session_id: str, key: str, version: str) -> Principal | None:
    now = timezone.now()
    session = (
        UserSession.objects.select_related("user")
        .filter(pk=session_id, revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )
    timeout = settings.JWT_ACCESS_TTL
    if session is None:
        with cache_optional("the session check"):
            cache.add(key, REVOKED, timeout=timeout)
        return None
    timeout = max(1, min(timeout, int((session.expires_at - now).total_seconds())))
    state = PrincipalState.of(session.user, version)
    with cache_optional("the session check"):
        cache.add(key, state.to_cache(), timeout=timeout)
    return Principal(state, session.user)


def publish_revocation(session_ids: Iterable[object]) -> None:
    """Tell every worker and instance that these sessions are revoked (503 if the cache is unreachable:
    a revocation that only the database knows would be undone by a cached copy when the cache returns)."""
    keys = {_key(session_id): REVOKED for session_id in session_ids}
    if keys:

        def write() -> None:
            with cache_required("a session revocation"):
                cache.set_many(keys, timeout=settings.JWT_ACCESS_TTL)

        _now_and_after_commit(write)


def forget_user(user: User, *, revoke: bool = False) -> None:
    """Drop the cached principal of `user` in its sessions (or revoke them, for a deleted or deactivated
    user), so the next request reads the row as it is now."""
    session_ids = list(UserSession.objects.filter(user=user, revoked_at__isnull=True).values_list("pk", flat=True))
    if revoke or not user.is_active:
        publish_revocation(session_ids)
    elif session_ids:
        keys = [_key(session_id) for session_id in session_ids]

        def write() -> None:
            with cache_required("a user change"):
                cache.delete_many(keys)

        _now_and_after_commit(write)


def permissions_changed() -> None:
    """A group's or permission's change: every cached principal becomes stale on every instance."""

    def write() -> None:
        with cache_required("a permissions change"):
            cache.set(PERMISSIONS_VERSION_KEY, uuid.uuid4().hex, timeout=None)

    _now_and_after_commit(write)
