"""The OAuth scope ceiling: one check that every permission class of the API runs.

A request made with an OAuth access token (`request.auth` carries its `scopes`) acts as its user but only
within its scopes: each view belongs to an area (its app, or `oauth_scope_area` on the view), and needs
`<area>:read` for safe methods, `<area>:write` for the others. Views of no area (accounts, sessions) are
closed to OAuth tokens. The user's role is checked as well, by the permission class itself, so a token
can narrow what its user may do and never widen it. Login tokens and API keys carry no scopes: unaffected.
"""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from core.errors import PermissionDeniedError

SCOPE_AREAS = {
    "configurations": "config",
    "webhooks": "config",
    "downloads": "files",
    "uploads": "files",
    "audit": "audit",
}


def required_scope(request: Request, view) -> str | None:
    """The scope a token needs for this request; None when no scope opens the view."""
    area = getattr(view, "oauth_scope_area", None) or SCOPE_AREAS.get(type(view).__module__.split(".")[0])
    if area is None:
        return None
    return f"{area}:{'read' if request.method in SAFE_METHODS else 'write'}"


def within_token_scopes(request: Request, view) -> bool:
    """True, or PermissionDeniedError (`insufficient_scope`) for a scoped token outside its scopes."""
    scopes = getattr(request.auth, "scopes", None)
    if not isinstance(scopes, frozenset):
        return True  # not a scoped credential
    required = required_scope(request, view)
    if required is None or required not in scopes:
        raise PermissionDeniedError(
            f"This token's scopes do not include {required or 'this endpoint'}.", code="insufficient_scope"
        )
    return True


class ScopeCeiling(BasePermission):
    """Base of every permission class: subclasses call super().has_permission() first."""

    def has_permission(self, request: Request, view) -> bool:
        return within_token_scopes(request, view)


class IsAuthenticatedWithinScope(ScopeCeiling):
    """The default: a signed-in caller, within its token's scopes."""

    def has_permission(self, request: Request, view) -> bool:
        return bool(request.user and request.user.is_authenticated) and super().has_permission(request, view)


PUBLIC = None  # an action open to every authenticated caller


class ActionPermission(ScopeCeiling):
    """Grants an action when the caller holds every permission the view maps it to (and is within its scopes).

    A ViewSet declares `action_permissions = {"list": ["app.view_model"], "create": [...], "me": PUBLIC}`,
    keyed by action. Actions missing from the map are refused (fail closed).
    """

    def has_permission(self, request: Request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        mapping = getattr(view, "action_permissions", {})
        action = getattr(view, "action", None) or request.method.lower()
        if action not in mapping or not super().has_permission(request, view):
            return False
        required = mapping[action]
        return required is PUBLIC or user.has_perms(required)
