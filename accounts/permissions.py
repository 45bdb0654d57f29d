"""Permission classes of the accounts endpoints (per-action model permissions: core.permissions)."""

from __future__ import annotations

from rest_framework.request import Request

from core.permissions import ScopeCeiling


class AnonymousPost(ScopeCeiling):
    """A public POST endpoint (register, login, ...): anyone may POST; other methods need a login."""

    def has_permission(self, request: Request, view) -> bool:
        allowed = request.method == "POST" or bool(request.user and request.user.is_authenticated)
        return allowed and super().has_permission(request, view)
