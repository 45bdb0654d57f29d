"""OAuth access tokens as JWTs (RFC 9068), minted by oauthlib through ACCESS_TOKEN_GENERATOR.

django-oauth-toolkit issues random opaque tokens; it lets a generator choose the token text, and stores
only its checksum (COMPLIANT_BCP_RFC9700_TOKEN_STORAGE). The JWT is signed with the newest key of
JWT_SIGNING_KEYS, so a resource server can verify it from the JWKS alone; this backend also checks the
token's row on every request (oauth.authentication), which makes a revocation take effect at once.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from oauth2_provider.settings import oauth2_settings

from core.jwt_keys import ACCESS_TOKEN_TYPE, keyring

API_PATH = "/api/v1/"


def audience_for(issuer: str) -> str:
    """The resource server the tokens of `issuer` (`<origin>/o`) are for: this backend's API."""
    return issuer.rsplit("/", 1)[0] + API_PATH


def access_token_claims(request: Any) -> dict[str, Any]:
    """RFC 9068 §2.2 claims. `sub` is the user; for client credentials, the client (no resource owner)."""
    issuer = oauth2_settings.oidc_issuer(request)
    now = int(time.time())
    client_id = request.client.client_id
    user = getattr(request, "user", None)
    subject = str(user.pk) if request.grant_type != "client_credentials" and user is not None else client_id
    return {
        "iss": issuer,
        "sub": subject,
        "aud": audience_for(issuer),
        "exp": now + int(request.expires_in),
        "iat": now,
        "jti": uuid.uuid4().hex,
        "client_id": client_id,
        "scope": " ".join(request.scopes or []),
    }


def access_token_generator(request: Any, refresh_token: bool = False) -> str:
    return keyring().sign(access_token_claims(request), typ=ACCESS_TOKEN_TYPE)
