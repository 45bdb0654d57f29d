"""Tokens: the session-bound JWT pair (simplejwt) and the single-use tokens sent by e-mail."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import signing
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken, Token

from accounts.models import User, UserSession
from core.jwt_keys import keyring

SESSION_CLAIM = "sid"


class KeyringTokenBackend(TokenBackend):
    """simplejwt's backend on the JWT_SIGNING_KEYS keyring: signs with the newest key (with `kid`), verifies
    with the key the `kid` names and its algorithm only (simplejwt itself knows one key, no `kid`)."""

    def __init__(self) -> None:
        super().__init__("RS256", leeway=api_settings.LEEWAY)

    def encode(self, payload: dict[str, Any]) -> str:
        return keyring().sign(dict(payload))

    def decode(self, token: Token | str | bytes, verify: bool = True) -> dict[str, Any]:
        raw = token.decode() if isinstance(token, bytes) else str(token)
        try:
            if not verify:
                return jwt.decode(raw, options={"verify_signature": False})
            return keyring().verify(raw, leeway=self.get_leeway())
        except jwt.InvalidTokenError as exc:
            raise TokenBackendError("Token is invalid") from exc


_BACKEND = KeyringTokenBackend()


class _KeyringToken(Token):
    def get_token_backend(self) -> TokenBackend:
        return _BACKEND


class SessionAccessToken(_KeyringToken, AccessToken):
    """An access token; valid only with a session id claim (checked against revocation on every request)."""

    def verify(self) -> None:
        super().verify()
        if not _is_uuid(self.payload.get(SESSION_CLAIM)):
            raise TokenError("Token has no session.")


class SessionRefreshToken(_KeyringToken, RefreshToken):
    """A refresh token bound to a session.

    simplejwt's blacklist check is skipped on decoding: the session's `refresh_jti` is the authority, and
    a rotated token must decode so its reuse can be detected (and the session revoked) instead of only
    being refused. Issued tokens are still listed as outstanding, and rotated ones blacklisted, so
    simplejwt's admin and `flushexpiredtokens` see them.
    """

    access_token_class = SessionAccessToken

    def verify(self) -> None:
        Token.verify(self)
        if not _is_uuid(self.payload.get(SESSION_CLAIM)):
            raise TokenError("Token has no session.")


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
    expires_in: int


def _cap(token: Token, limit: datetime) -> None:
    if token.current_time + token.lifetime > limit:  # type: ignore[operator]
        token.set_exp(from_time=limit, lifetime=timedelta(0))


def token_pair_for_session(session: UserSession) -> tuple[TokenPair, SessionRefreshToken]:
    """Mint an access and a refresh token for `session`, neither outliving the session's absolute cap."""
    refresh = SessionRefreshToken()
    refresh[api_settings.USER_ID_CLAIM] = str(session.user_id)
    refresh[SESSION_CLAIM] = str(session.id)
    _cap(refresh, session.expires_at)
    access = refresh.access_token
    _cap(access, session.expires_at)
    expires_in = int(access["exp"] - access.current_time.timestamp())
    return TokenPair(access=str(access), refresh=str(refresh), expires_in=max(expires_in, 0)), refresh


# --- e-mail tokens -------------------------------------------------------------------------------

_VERIFY_SALT = "accounts.email-verification"


def email_verification_token(user: User) -> str:
    """A signed, expiring token naming the user and the address it verifies (used once: see below)."""
    return signing.dumps({"u": str(user.pk), "e": user.email}, salt=_VERIFY_SALT, compress=True)


def email_verification_user(token: str) -> User | None:
    """The unverified user a token is for; None when bad, expired, already used or for an old address."""
    try:
        data = signing.loads(token, salt=_VERIFY_SALT, max_age=settings.EMAIL_VERIFICATION_TIMEOUT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    user = User.objects.filter(pk=data.get("u"), is_active=True).first() if _is_uuid(data.get("u")) else None
    # A verified address makes the token used: single use without storing anything.
    if user is None or user.email_verified or user.email != data.get("e"):
        return None
    return user


_EMAIL_CHANGE_SALT = "accounts.email-change"


def email_change_token(user: User, new_email: str) -> str:
    """A signed, expiring token for moving `user` to `new_email`; it names the current address, so it
    dies once any change of address has happened (single use without storing anything)."""
    return signing.dumps({"u": str(user.pk), "o": user.email, "n": new_email}, salt=_EMAIL_CHANGE_SALT, compress=True)


def email_change_target(token: str) -> tuple[User, str] | None:
    """(user, new address) of a live e-mail change token; None when bad, expired or already used."""
    try:
        data = signing.loads(token, salt=_EMAIL_CHANGE_SALT, max_age=settings.EMAIL_VERIFICATION_TIMEOUT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not _is_uuid(data.get("u")) or not isinstance(data.get("n"), str):
        return None
    user = User.objects.filter(pk=data["u"], is_active=True).first()
    if user is None or user.email != data.get("o"):
        return None
    return user, data["n"]


def password_reset_token(user: User) -> str:
    """Django's reset token (dies when the password or last login changes) with the user id in front."""
    return f"{urlsafe_base64_encode(force_bytes(user.pk))}.{PasswordResetTokenGenerator().make_token(user)}"


def password_reset_user(token: str) -> User | None:
    uid_b64, _, secret = token.partition(".")
    try:
        uid = force_str(urlsafe_base64_decode(uid_b64))
    except (ValueError, UnicodeDecodeError):
        return None
    user = User.objects.filter(pk=uid, is_active=True).first() if _is_uuid(uid) else None
    if user is None or not PasswordResetTokenGenerator().check_token(user, secret):
        return None
    return user


def _is_uuid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
