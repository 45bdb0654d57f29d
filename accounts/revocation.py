"""Session state on the shared cache, with the database as the source of truth.

An authenticated request costs one cache read and no query: the session's key holds either REVOKED or
the session's user (a pickled row: the authentication needs nothing more). On a miss (or a cache
outage) the database answers, and its answer is cached with `add`, so it never overwrites a revocation
written in the meantime. A revocation is written with `set` as it happens, before its transaction
commits, so no reader can cache the pre-commit row after it; every worker and instance refuses the
session's access tokens from that moment. (Should the transaction roll back, the session merely looks
revoked until the marker expires: the safe side.) A saved user drops the cached copies of itself
(`forget_user`), a deactivated or deleted one revokes them. Markers live at most as long as an access
token does.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from accounts.models import User, UserSession
from accounts.shared_cache import cache_required

logger = logging.getLogger(__name__)

REVOKED = "revoked"


def _key(session_id: object) -> str:
    return f"accounts:session:{session_id}"


def session_user(session_id: str) -> User | None:
    """The user of a live session; None when the session is revoked, expired or unknown."""
    try:
        state = cache.get(_key(session_id))
    except Exception:  # the cache is an optimisation: an outage must not lock everyone out
        logger.warning("session cache read failed; using the database", exc_info=True)
        state = None
    if isinstance(state, User):
        return state
    if state is not None:
        return None
    now = timezone.now()
    session = (
        UserSession.objects.select_related("user")
        .filter(pk=session_id, revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )
    timeout = settings.JWT_ACCESS_TTL
    if session is not None:
        timeout = max(1, min(timeout, int((session.expires_at - now).total_seconds())))
    try:
        cache.add(_key(session_id), session.user if session else REVOKED, timeout=timeout)
    except Exception:
        logger.warning("session cache write failed", exc_info=True)
    return session.user if session else None


def publish_revocation(session_ids: Iterable[object]) -> None:
    """Tell every worker and instance that these sessions are revoked (503 if the cache is unreachable:
    a revocation that only the database knows would be undone by a cached copy when the cache returns)."""
    keys = {_key(session_id): REVOKED for session_id in session_ids}
    if keys:
        with cache_required("a session revocation"):
            cache.set_many(keys, timeout=settings.JWT_ACCESS_TTL)


def forget_user(user: User, *, revoke: bool = False) -> None:
    """Drop the cached copies of `user` in its sessions' markers (or revoke them, for a deleted or
    deactivated user), so the next request reads the row as it is now."""
    session_ids = list(UserSession.objects.filter(user=user, revoked_at__isnull=True).values_list("pk", flat=True))
    if revoke or not user.is_active:
        publish_revocation(session_ids)
    elif session_ids:
        with cache_required("a user change"):
            cache.delete_many([_key(session_id) for session_id in session_ids])
