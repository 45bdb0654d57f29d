"""Login sessions: login, refresh rotation with reuse detection, logout and revocation.

A session row is the server-side truth behind every JWT of one login. Revoking it kills its refresh
token (the row says so) and its access tokens (accounts.revocation publishes it on the shared cache).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import models, transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from accounts.lockout import lockout_register_failure, lockout_reset, lockout_retry_after
from accounts.mfa_tokens import MfaRequiredError, mfa_token_issue
from accounts.models import RevocationReason, User, UserSession
from accounts.revocation import publish_revocation
from accounts.selectors import totp_enabled
from accounts.tokens import SESSION_CLAIM, SessionRefreshToken, TokenPair, token_pair_for_session
from audit.services import record
from core.errors import AuthenticationError, PermissionDeniedError, TooManyRequestsError
from core.net import client_ip


def _invalid_credentials() -> AuthenticationError:
    # One body for an unknown e-mail, a wrong password and an inactive account: no enumeration.
    return AuthenticationError("Invalid e-mail or password.", code="invalid_credentials")


def _invalid_refresh() -> AuthenticationError:
    return AuthenticationError("The refresh token is invalid, expired or revoked.", code="token_not_valid")


def login_refuse_if_locked(*, email: str, request: Any) -> None:
    """429 (`throttled`, the one 429 code) while (email, client ip) or the client ip is locked out; every login
    channel, the second factor's too."""
    retry_after = lockout_retry_after(email=email, ip=client_ip(request))
    if retry_after:
        raise TooManyRequestsError("Too many failed logins: try again later.", retry_after=retry_after)


def auth_login(*, email: str, password: str, request: Any) -> TokenPair:
    """Check the credentials (with lockout) and open a session; returns its first token pair."""
    ip = client_ip(request)
    login_refuse_if_locked(email=email, request=request)
    # Django's ModelBackend hashes the password even for an unknown e-mail (equal timing), refuses
    # inactive users, and upgrades an old hash to the first of PASSWORD_HASHERS on success.
    user = authenticate(request, email=email, password=password)
    if user is None:
        login_failed(email=email, request=request)
        raise _invalid_credentials()
    if not user.email_verified:
        raise PermissionDeniedError("Confirm your e-mail address first.", code="email_not_verified")
    if totp_enabled(user):
        # The pair's failure counter is not cleared here: it keeps counting wrong codes of the 2nd step.
        raise MfaRequiredError(mfa_token=mfa_token_issue(user))
    lockout_reset(email=email, ip=ip)
    return session_open(user=user, request=request)


@transaction.atomic
def login_failed(*, email: str, request: Any, channel: str = "api") -> None:
    """Count a wrong e-mail or password toward the lockout and audit it (`channel`: "api", "admin")."""
    locked = lockout_register_failure(email=email, ip=client_ip(request))
    target = User.objects.filter(email__iexact=email.strip()).first()
    metadata = {"email": email[:254], "channel": channel}
    record("auth.login.failed", target=target, metadata=metadata, request=request)
    for scope in locked:
        record(
            "auth.lockout",
            target=target if scope == "account" else None,
            metadata={**metadata, "scope": scope, "window_seconds": settings.LOCKOUT_WINDOW},
            request=request,
        )


@transaction.atomic
def session_open(*, user: User, request: Any) -> TokenPair:
    """Open a login session for an authenticated `user`; returns its first token pair."""
    now = timezone.now()
    session = UserSession(
        user=user,
        created_at=now,
        last_used_at=now,
        expires_at=now + timedelta(seconds=settings.SESSION_ABSOLUTE_LIFETIME),
        ip=client_ip(request) or None,
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:512],
    )
    pair, refresh = token_pair_for_session(session)
    session.refresh_jti = refresh[api_settings.JTI_CLAIM]
    session.save()
    _outstand(refresh, user)
    user.last_login = now
    user.save(update_fields=["last_login"])
    record("auth.login.succeeded", actor=user, target=session, request=request)
    return pair


def _outstand(refresh: SessionRefreshToken, user: User) -> None:
    # Listed for simplejwt's admin and `flushexpiredtokens`. The token text itself is not kept: a copy
    # of the database must not hand out live refresh tokens.
    OutstandingToken.objects.create(
        user=user,
        jti=refresh[api_settings.JTI_CLAIM],
        token="",  # nosec B106
        created_at=refresh.current_time,
        expires_at=datetime_from_epoch(refresh["exp"]),
    )


def _blacklist(jtis: Iterable[str]) -> None:
    outstanding = OutstandingToken.objects.filter(jti__in=list(jtis), blacklistedtoken__isnull=True)
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )


def _decode_refresh(raw: str) -> SessionRefreshToken:
    try:
        return SessionRefreshToken(raw)  # type: ignore[arg-type]
    except TokenError as exc:
        raise _invalid_refresh() from exc


def session_refresh(*, refresh: str, request: Any) -> TokenPair:
    """Rotate: the presented refresh token dies and a new pair is issued.

    The session row is locked, so of two refreshes of one token exactly one rotates. A token that is
    not the session's current one was rotated before: whoever presents it (thief or victim) reveals
    a copy, so the whole session is revoked and the event audited.
    """
    token = _decode_refresh(refresh)
    with transaction.atomic():
        session = (
            UserSession.objects.select_for_update()
            .select_related("user")
            .filter(pk=token.get(SESSION_CLAIM), user_id=token.get(api_settings.USER_ID_CLAIM))
            .first()
        )
        if session is None or session.revoked_at or session.expires_at <= timezone.now() or not session.user.is_active:
            raise _invalid_refresh()
        if session.refresh_jti == token[api_settings.JTI_CLAIM]:
            return _session_rotate(session, token)
        _revoke([session], RevocationReason.TOKEN_REUSE)
        record("auth.token.reuse_detected", actor=session.user, target=session, request=request)
    raise AuthenticationError("This refresh token was already used: the session is revoked.", code="token_reused")


def _session_rotate(session: UserSession, old: SessionRefreshToken) -> TokenPair:
    pair, refresh = token_pair_for_session(session)
    session.refresh_jti = refresh[api_settings.JTI_CLAIM]
    session.last_used_at = timezone.now()
    session.save(update_fields=["refresh_jti", "last_used_at"])
    _outstand(refresh, session.user)
    _blacklist([old[api_settings.JTI_CLAIM]])
    return pair


def _revoke(sessions: Iterable[UserSession], reason: str) -> list[UserSession]:
    live = [session for session in sessions if session.revoked_at is None]
    if not live:
        return []
    now = timezone.now()
    UserSession.objects.filter(pk__in=[session.pk for session in live], revoked_at__isnull=True).update(
        revoked_at=now, revoked_reason=reason
    )
    for session in live:
        session.revoked_at, session.revoked_reason = now, reason
    _blacklist(session.refresh_jti for session in live)
    publish_revocation(session.pk for session in live)
    return live


@transaction.atomic
def session_logout(*, user: User, refresh: str, request: Any) -> None:
    """Revoke the session of `refresh`, which must be one of the caller's."""
    token = _decode_refresh(refresh)
    session = UserSession.objects.filter(pk=token.get(SESSION_CLAIM), user=user).first()
    if session is None:
        raise _invalid_refresh()
    if _revoke([session], RevocationReason.LOGOUT):
        record("auth.logout", actor=user, target=session, request=request)


@transaction.atomic
def session_revoke(*, session: UserSession, actor: User | None, request: Any = None) -> None:
    if _revoke([session], RevocationReason.REVOKED):
        record("auth.session.revoked", actor=actor, target=session, request=request)


@transaction.atomic
def sessions_revoke_for_user(*, user: User, reason: str, keep_session_id: str | None = None) -> int:
    """Revoke every live session of `user` (but `keep_session_id`); returns how many."""
    sessions = UserSession.objects.select_for_update().filter(user=user, revoked_at__isnull=True)
    if keep_session_id:
        sessions = sessions.exclude(pk=keep_session_id)
    return len(_revoke(list(sessions), reason))


@transaction.atomic
def session_logout_all(*, user: User, request: Any) -> None:
    count = sessions_revoke_for_user(user=user, reason=RevocationReason.LOGOUT_ALL)
    record("auth.logout", actor=user, target=user, metadata={"scope": "all", "sessions": count}, request=request)


def sessions_delete_expired() -> int:
    """Delete sessions revoked or expired more than SESSION_RETENTION ago; returns how many."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.SESSION_RETENTION)
    idle_cutoff = cutoff - timedelta(seconds=settings.JWT_REFRESH_TTL)
    deleted, _ = UserSession.objects.filter(
        models.Q(revoked_at__lt=cutoff) | models.Q(expires_at__lt=cutoff) | models.Q(last_used_at__lt=idle_cutoff)
    ).delete()
    return deleted
