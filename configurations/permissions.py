"""Who may do what: users by their role's model permissions, API keys only reads of their environment."""

from __future__ import annotations

from rest_framework.request import Request

from configurations.authentication import ApiKeyPrincipal
from core.errors import NotFoundError
from core.permissions import ActionPermission


class ConfigurationPermission(ActionPermission):
    """ActionPermission for users; an API key may run the view's `api_key_actions` on its own environment.

    A key used on another environment gets a 404 (it must not learn what exists), on a write a 403.
    """

    def has_permission(self, request: Request, view) -> bool:
        principal = request.auth
        if isinstance(principal, ApiKeyPrincipal):
            if getattr(view, "action", None) not in getattr(view, "api_key_actions", ()):
                return False
            if not principal.may_read(view.kwargs.get("ns"), view.kwargs.get("env")):
                raise NotFoundError("No such environment.")
            return True
        return super().has_permission(request, view)
