"""DRF permission classes mapping each view action to Django model permissions."""

from __future__ import annotations

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

PUBLIC = None  # an action open to every authenticated caller


class ActionPermission(BasePermission):
    """Grants an action when the caller holds every permission the view maps it to.

    A ViewSet declares `action_permissions = {"list": ["app.view_model"], "create": [...], "me": PUBLIC}`,
    keyed by action. Actions missing from the map are refused (fail closed).
    """

    def has_permission(self, request: Request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        mapping = getattr(view, "action_permissions", {})
        action = getattr(view, "action", None) or request.method.lower()
        if action not in mapping:
            return False
        required = mapping[action]
        return required is PUBLIC or user.has_perms(required)
