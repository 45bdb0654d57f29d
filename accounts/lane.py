"""The account read the hot lane (core.lane) answers: `GET /users/me/` with a login access token, when the
session's state in the shared cache is current and this process has read the user's row under it.

The token is checked as the full stack checks it (SessionJWTAuthentication), the session's state, the
permissions version and the per-user throttle are one Redis round trip (as accounts.revocation makes it), and
the throttle's verdict is handed on to the full stack if the lane declines after it (core.throttles.VERDICTS),
so a request is counted once.
"""

from __future__ import annotations

import re
from typing import Any

from rest_framework.exceptions import AuthenticationFailed
from rest_framework.renderers import JSONRenderer
from rest_framework_simplejwt.settings import api_settings

from accounts import serializers as s
from accounts.authentication import SessionJWTAuthentication
from accounts.principal import Principal, remembered_row
from accounts.revocation import session_keys, settled_principal
from accounts.tokens import SESSION_CLAIM
from accounts.views import AccountUserViewSet
from core.cache import CACHE_ERRORS
from core.lane import Answer, Environ, LaneRoute
from core.memo import remember
from core.throttles import UserThrottle, made_verdict, read_and_hit, view_hit
from oauth.authentication import OAuthAccessToken

_AUTHENTICATION = SessionJWTAuthentication()
_RENDERER = JSONRenderer()
# The body of `users/me` by (user id, the `issued` nonce of the principal it was rendered for): a saved user
# gets a new nonce (accounts.revocation.forget_user), so a body is never served for another version of the row.
_BODIES: dict[tuple[str, str], bytes] = {}
_BODIES_MAX = 4096


def bearer_session(environ: Environ) -> tuple[str, str] | None:
    """(user id, session id) of the request's login access token, checked as the full stack checks it; None
    for no token, an invalid one, or an OAuth token (its scopes are the full stack's to check)."""
    try:
        raw = _AUTHENTICATION.get_raw_token(environ.get("HTTP_AUTHORIZATION", "").encode("iso-8859-1"))
        token = _AUTHENTICATION.get_validated_token(raw) if raw is not None else None
    except (AuthenticationFailed, UnicodeEncodeError):
        return None
    if token is None or isinstance(token, OAuthAccessToken):
        return None
    return str(token[api_settings.USER_ID_CLAIM]), str(token[SESSION_CLAIM])


def live_principal(
    environ: Environ, view: type, session: tuple[str, str], prefetch: list[str]
) -> tuple[Principal, dict[str, Any]] | None:
    """The principal of the `session` (from `bearer_session`), with the values of `prefetch` read in the same
    round trip, when its cached state is current and the per-user throttle of `view` lets the request through."""
    user_id, session_id = session
    hit = view_hit(view, UserThrottle, user_id)
    try:
        values = read_and_hit(environ, [*session_keys(session_id), *prefetch], hit)
    except CACHE_ERRORS:
        return None  # the full stack knows what an outage means here
    if hit is not None and not made_verdict(environ, hit.key)[0]:
        return None  # throttled: the full stack answers 429 on this verdict
    principal = settled_principal(session_id, values)
    if principal is None or str(principal.pk) != user_id or not principal.is_active:
        return None
    return principal, values


def bearer_principal(environ: Environ, view: type, prefetch: list[str]) -> tuple[Principal, dict[str, Any]] | None:
    """`live_principal` of the request's login access token."""
    session = bearer_session(environ)
    return live_principal(environ, view, session, prefetch) if session is not None else None


def users_me(environ: Environ) -> Answer | None:
    authenticated = bearer_principal(environ, AccountUserViewSet, [])
    if authenticated is None:
        return None
    state = authenticated[0].state
    body = _BODIES.get((state.user_id, state.issued))
    if body is None:
        row = remembered_row(state)
        if row is None:
            return None
        body = _RENDERER.render(s.AccountUserOutputSerializer(row).data)
        remember(_BODIES, (state.user_id, state.issued), body, _BODIES_MAX)
    return Answer(200, {}, body, user_id=state.user_id)


ROUTES = [LaneRoute("users-me", re.compile(r"/api/v1/users/me/"), users_me, frozenset())]
