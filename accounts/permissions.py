"""DRF permission classes mapping each view action to a Django model permission."""

from __future__ import annotations

from rest_framework.request import Request

from core.permissions import ScopeCeiling

PUBLIC = None  # an action open to every authenticated caller


class ActionPermission(ScopeCeiling):
    """Grants an action when the caller holds every permission the view maps it to.

    A view declares `action_permissions = {"list": ["app.view_model"], "create": [...], "me": PUBLIC}`,
    keyed by ViewSet action, or by lower-case HTTP method for plain APIViews. Actions missing from the
    map are refused (fail closed).
    """

    def has_permission(self, request: Request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if not hasattr(view, request.method.lower()):
            return True  # no handler for this method: let the view answer 405, not 403
        mapping = getattr(view, "action_permissions", {})
        action = getattr(view, "action", None) or request.method.lower()
        if action not in mapping or not super().has_permission(request, view):
            return False
        required = mapping[action]
        return required is PUBLIC or user.has_perms(required)


class AnonymousPost(ScopeCeiling):
    """A public POST endpoint (register, login, ...): anyone may POST; other methods need a login."""

    def has_permission(self, request: Request, view) -> bool:
        allowed = request.method == "POST" or bool(request.user and request.user.is_authenticated)
        return allowed and super().has_permission(request, view)
