"""OAuth access tokens on the API: the JWT (RFC 9068) is verified from the keyring, then its row.

The row lookup (one indexed query, user and client owner joined) is what makes a revocation, a reused
refresh token's family revocation or an expiry take effect on the very next request on every instance:
DOT deletes the row of a revoked access token, and introspection answers from the same row. No cache
sits in between, so there is nothing to invalidate. A token only acts within its scopes (`scopes`, read
by core.permissions) and as its user (for client credentials, the client's owner), never beyond the role.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass

import jwt
from django.utils import timezone
from oauth2_provider.models import get_access_token_model
from rest_framework.exceptions import AuthenticationFailed

from accounts.models import User
from core.jwt_keys import ACCESS_TOKEN_TYPE, keyring
from oauth.tokens import audience_for

_REQUIRED_CLAIMS = ("iss", "sub", "aud", "iat", "jti", "client_id", "scope")


@dataclass(frozen=True)
class OAuthAccessToken:
    """`request.auth` of a request made with an OAuth access token."""

    user: User
    client_id: str
    scopes: frozenset[str]


def is_oauth_access_token(raw_token: bytes | str) -> bool:
    """Whether a bearer token claims to be an OAuth access token (header `typ: at+jwt`); nothing verified.

    Only the header segment is decoded: PyJWT's get_unverified_header parses the whole token, which the
    verification that follows does again anyway."""
    segment = raw_token.split(b"." if isinstance(raw_token, bytes) else ".", 1)[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + (b"=" if isinstance(segment, bytes) else "=") * 2))
    except (ValueError, TypeError):  # binascii.Error and JSON/Unicode decoding errors are ValueErrors
        return False
    return isinstance(header, dict) and str(header.get("typ", "")).lower() == ACCESS_TOKEN_TYPE


def _invalid() -> AuthenticationFailed:
    return AuthenticationFailed("The access token is invalid, expired or revoked.", code="token_not_valid")


def oauth_access_token_validate(raw_token: bytes | str) -> OAuthAccessToken:
    raw = raw_token.decode() if isinstance(raw_token, bytes) else raw_token
    try:
        claims = keyring().verify(raw, typ=ACCESS_TOKEN_TYPE)
    except jwt.InvalidTokenError as exc:
        raise _invalid() from exc
    if any(claim not in claims for claim in _REQUIRED_CLAIMS) or claims["aud"] != audience_for(str(claims["iss"])):
        raise _invalid()
    row = (
        get_access_token_model()
        .objects.select_related("user", "application__user")
        .filter(token_checksum=hashlib.sha256(raw.encode()).hexdigest(), expires__gt=timezone.now())
        .first()
    )
    if row is None or row.application is None or row.application.client_id != claims["client_id"]:
        raise _invalid()
    user = row.user if row.user_id else row.application.user  # client credentials: the owner
    if user is None or not user.is_active:
        raise _invalid()
    return OAuthAccessToken(user=user, client_id=row.application.client_id, scopes=frozenset(row.scope.split()))
