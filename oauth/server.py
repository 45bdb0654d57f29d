"""oauthlib's OpenID Connect server cut down to OAuth 2.1: authorization code with PKCE S256 only,
client credentials and refresh token; no implicit, hybrid, password or device grant."""

from __future__ import annotations

from oauthlib.oauth2.rfc6749.grant_types.authorization_code import code_challenge_method_s256
from oauthlib.openid import Server

_GRANT_TYPES = ("authorization_code", "client_credentials", "refresh_token")


class OAuth21Server(Server):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # oauthlib accepts `plain` (and defaults a missing method to it); OAuth 2.1 refuses it, so a
        # `plain` authorization request fails before the consent page, and its code could never be redeemed.
        s256_only = {"S256": code_challenge_method_s256}
        self.auth_grant._code_challenge_methods = s256_only
        self.openid_connect_auth.proxy_target._code_challenge_methods = s256_only
        self._response_types = {"code": self.auth_grant_choice}
        self._grant_types = {name: self._grant_types[name] for name in _GRANT_TYPES}
