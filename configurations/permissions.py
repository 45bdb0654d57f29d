"""Who may do what: users by their role's model permissions, widened by their namespace membership
(configurations.access); API keys only reads of their environment."""

from __future__ import annotations

from rest_framework.request import Request

from configurations import access
from configurations.authentication import ApiKeyPrincipal
from core.errors import NotFoundError
from core.permissions import ActionPermission


class ConfigurationPermission(ActionPermission):
    """ActionPermission for users, or their membership of the route's namespace; an API key may run the
    view's `api_key_actions` on its own environment.

    A key used on another environment gets a 404 (it must not learn what exists), on a write a 403; so does a
    user who may not read the namespace at all.
    """

    def has_permission(self, request: Request, view) -> bool:
        principal = request.auth
        if isinstance(principal, ApiKeyPrincipal):
            if getattr(view, "action", None) not in getattr(view, "api_key_actions", ()):
                return False
            if not principal.may_read(view.kwargs.get("ns"), view.kwargs.get("env")):
                raise NotFoundError("No such environment.")
            return True
        if super().has_permission(request, view):
            return True
        namespace = view.kwargs.get("ns")
        user = request.user
        if namespace is None or not (user and user.is_authenticated):
            return False
        required = getattr(view, "action_permissions", {}).get(getattr(view, "action", None))
        role = access.member_role(user=user, namespace_slug=namespace)
        if role is None and not user.has_perm(access.GLOBAL_READ):
            raise NotFoundError("No such namespace.")
        return bool(required) and access.role_grants(role, required)
