"""django-oauth-toolkit's validator with this project's rules: owners act for their client-credentials
clients, identity claims from the user row, and an audit event for every issue, reuse and revocation."""

from __future__ import annotations

import hashlib
from typing import Any

from oauth2_provider.models import get_refresh_token_model
from oauth2_provider.oauth2_validators import OAuth2Validator

from audit.services import record


def _checksum(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _actor(request: Any) -> Any:
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return user
    return getattr(request.client, "user", None)  # client credentials: the application's owner


class Validator(OAuth2Validator):
    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        user = request.user
        return {"name": user.display_name, "email": user.email, "email_verified": user.email_verified}

    def save_bearer_token(self, token: dict[str, Any], request: Any, *args, **kwargs) -> None:
        actor = _actor(request)  # before saving: DOT clears request.user for client credentials
        super().save_bearer_token(token, request, *args, **kwargs)
        record(
            "oauth.token.issued",
            actor=actor,
            target=request.client,
            metadata={"client_id": request.client.client_id, "grant_type": request.grant_type, "scope": token["scope"]},
        )

    def validate_refresh_token(self, refresh_token: str, client: Any, request: Any, *args, **kwargs) -> bool:
        if super().validate_refresh_token(refresh_token, client, request, *args, **kwargs):
            return True
        # A refresh token presented after it was rotated or revoked: DOT has just revoked its whole
        # family (REFRESH_TOKEN_REUSE_PROTECTION), the access tokens of that grant included.
        reused = (
            get_refresh_token_model()
            .objects.filter(token_checksum=_checksum(refresh_token), revoked__isnull=False)
            .select_related("application", "user")
            .first()
        )
        if reused is not None:
            record(
                "oauth.token.reuse_detected",
                actor=reused.user,
                target=reused.application,
                metadata={"client_id": reused.application.client_id, "token_family": str(reused.token_family)},
            )
        return False

    def revoke_token(self, token: str, token_type_hint: str | None, request: Any, *args, **kwargs) -> None:
        super().revoke_token(token, token_type_hint, request, *args, **kwargs)
        record(
            "oauth.token.revoked",
            actor=getattr(request.client, "user", None),
            target=request.client,
            metadata={"client_id": request.client.client_id, "token_type_hint": token_type_hint or ""},
        )
