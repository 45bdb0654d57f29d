"""Bearer JWT authentication bound to server-side sessions.

On top of simplejwt's checks (signature with the configured algorithm only, expiry, token type, user
exists and is active) the token's session must be live: one read of the shared cache per request,
the database on a miss (accounts.revocation). A revoked session's access tokens fail at once on
every worker and instance.
"""
from __future__ import annotations

from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.tokens import Token

from accounts.models import User
from accounts.revocation import session_is_live
from accounts.tokens import SESSION_CLAIM


class SessionJWTAuthentication(JWTAuthentication):
    def get_validated_token(self, raw_token: bytes) -> Token:
        try:
            return super().get_validated_token(raw_token)
        except InvalidToken as exc:
            # simplejwt lists every token class it tried; one plain message is enough for a client.
            raise AuthenticationFailed("The access token is invalid or expired.", code="token_not_valid") from exc

    def get_user(self, validated_token: Token) -> User:
        if not session_is_live(str(validated_token[SESSION_CLAIM])):
            raise AuthenticationFailed("The session of this token has ended.", code="session_revoked")
        return super().get_user(validated_token)  # type: ignore[return-value]
