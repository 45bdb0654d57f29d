"""Session revocation state on the shared cache, with the database as the source of truth.

An authenticated request costs one cache read: the session's key holds LIVE or REVOKED. On a miss (or a
cache outage) the database answers, and its answer is cached with `add`, so it never overwrites a
revocation written in the meantime. A revocation is written with `set` as it happens, before its
transaction commits, so no reader can cache the pre-commit "live" row after it; every worker and
instance refuses the session's access tokens from that moment. (Should the transaction roll back, the
session merely looks revoked until the marker expires: the safe side.) Markers live as long as an access
token does: after that no token they could vouch for is still valid.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from accounts.models import UserSession

logger = logging.getLogger(__name__)

LIVE = "live"
REVOKED = "revoked"


def _key(session_id: object) -> str:
    return f"accounts:session:{session_id}"


def session_is_live(session_id: str) -> bool:
    try:
        state = cache.get(_key(session_id))
    except Exception:  # the cache is an optimisation: an outage must not lock everyone out
        logger.warning("session cache read failed; using the database", exc_info=True)
        state = None
    if state is not None:
        return state == LIVE
    live = UserSession.objects.filter(pk=session_id, revoked_at__isnull=True, expires_at__gt=timezone.now()).exists()
    try:
        cache.add(_key(session_id), LIVE if live else REVOKED, timeout=settings.JWT_ACCESS_TTL)
    except Exception:
        logger.warning("session cache write failed", exc_info=True)
    return live


def publish_revocation(session_ids: Iterable[object]) -> None:
    """Tell every worker and instance that these sessions are revoked."""
    keys = {_key(session_id): REVOKED for session_id in session_ids}
    if keys:
        cache.set_many(keys, timeout=settings.JWT_ACCESS_TTL)
