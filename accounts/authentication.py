"""Bearer JWT authentication bound to server-side sessions.

simplejwt checks the token (signature with the configured algorithm only, expiry, type); then the
token's session must be live, which costs one read of the shared cache and no query: the cached
session state carries the minimal principal (accounts.revocation; the database answers on a miss). The
same round trip reads what the view is about to read from the cache (core.cache.view_prefetch_keys). A revoked
session's access tokens fail at once on every worker and instance; so do those of a deactivated or
deleted user.
"""

from __future__ import annotations

from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token

from accounts.models import User
from accounts.principal import Principal
from accounts.revocation import session_principal
from accounts.tokens import SESSION_CLAIM
from core.cache import view_prefetch_keys
from oauth.authentication import OAuthAccessToken, is_oauth_access_token, oauth_access_token_validate


class SessionJWTAuthentication(JWTAuthentication):
    """Login JWTs, and OAuth access tokens (header `typ: at+jwt`, checked by oauth.authentication)."""

    def get_validated_token(self, raw_token: bytes) -> Token | OAuthAccessToken:  # type: ignore[override]
        if is_oauth_access_token(raw_token):
            return oauth_access_token_validate(raw_token)
        try:
            return super().get_validated_token(raw_token)
        except InvalidToken as exc:
            # simplejwt lists every token class it tried; one plain message is enough for a client.
            raise AuthenticationFailed("The access token is invalid or expired.", code="token_not_valid") from exc

    def authenticate(self, request):
        self.request = request  # for get_user: its throttle check rides the session check's round trip
        return super().authenticate(request)

    def get_user(self, validated_token: Token | OAuthAccessToken) -> Principal | User:  # type: ignore[override]
        if isinstance(validated_token, OAuthAccessToken):
            return validated_token.user
        user_id = str(validated_token.get(api_settings.USER_ID_CLAIM))
        request = getattr(self, "request", None)
        prefetch = view_prefetch_keys(request, api_key=False, user_id=user_id) if request is not None else []
        user = session_principal(str(validated_token[SESSION_CLAIM]), request, user_id, prefetch)
        if user is None:
            raise AuthenticationFailed("The session of this token has ended.", code="session_revoked")
        if str(user.pk) != str(validated_token.get(api_settings.USER_ID_CLAIM)) or not user.is_active:
            raise AuthenticationFailed("The access token is invalid or expired.", code="token_not_valid")
        return user
