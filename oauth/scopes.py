"""The scopes backend: every scope of settings.OAUTH_SCOPES, narrowed per client by oauth.models.ClientScopes."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from oauth2_provider.scopes import BaseScopes

OIDC_SCOPES = frozenset({"openid", "profile", "email"})


def client_scopes(application: Any) -> list[str]:
    """The scopes `application` may request (all of them when it has no ClientScopes row)."""
    if application is None:
        return list(settings.OAUTH_SCOPES)
    allowed = getattr(application, "allowed_scopes", None) if application.pk else None
    if allowed is None:
        return list(settings.OAUTH_SCOPES)
    return [scope for scope in allowed.scopes.split() if scope in settings.OAUTH_SCOPES]


class ClientScopes(BaseScopes):
    def get_all_scopes(self) -> dict[str, str]:
        return dict(settings.OAUTH_SCOPES)

    def get_available_scopes(self, application: Any = None, request: Any = None, *args, **kwargs) -> list[str]:
        return client_scopes(application)

    def get_default_scopes(self, application: Any = None, request: Any = None, *args, **kwargs) -> list[str]:
        # A request without `scope` gets the client's API scopes; identity scopes must be asked for.
        return [scope for scope in client_scopes(application) if scope not in OIDC_SCOPES]
