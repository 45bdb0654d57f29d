"""Namespace membership: a role within one namespace, on top of the user's global role.

A request needs the model permissions its action maps to (core.permissions.ActionPermission). When the
global role lacks them and the route names a namespace, the caller's membership there may grant them. A
caller who may not even read the namespace (no global read, no membership) is told it does not exist (404).
Memberships are read from the database on each such request, never cached, so a removal takes effect on
the very next request on every instance.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from configurations.models import Namespace, NamespaceMember, NamespaceRole

_P = "configurations."
_READ = frozenset(
    _P + name
    for name in (
        "view_namespace",
        "view_environment",
        "view_entry",
        "view_entryversion",
        "view_changerequest",
        "view_namespacemember",
    )
)
_WRITE = _READ | frozenset(
    _P + name
    for name in (
        "add_entry",
        "change_entry",
        "delete_entry",
        "reveal_secret",
        "view_apikey",
        "add_apikey",
        "change_apikey",
        "delete_apikey",
        "add_changerequest",
        "change_changerequest",
        "approve_changerequest",
    )
)
_ADMIN = (
    _WRITE
    | frozenset(
        _P + name
        for name in (
            "change_namespace",
            "add_environment",
            "change_environment",
            "delete_environment",
            "add_namespacemember",
            "change_namespacemember",
            "delete_namespacemember",
            "delete_changerequest",
        )
    )
    | frozenset(f"webhooks.{verb}_webhook" for verb in ("view", "add", "change", "delete"))
)
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    NamespaceRole.VIEWER: _READ,
    NamespaceRole.EDITOR: _WRITE,
    NamespaceRole.ADMIN: _ADMIN,
}
GLOBAL_READ = _P + "view_namespace"


def member_role(*, user: Any, namespace_slug: str) -> str | None:
    """The user's role in the namespace, or None (one indexed query)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        NamespaceMember.objects.filter(namespace__slug=namespace_slug, user_id=user.pk)
        .values_list("role", flat=True)
        .first()
    )


def role_grants(role: str | None, permissions: Iterable[str]) -> bool:
    return role is not None and set(permissions) <= ROLE_PERMISSIONS.get(role, frozenset())


def has_namespace_perms(*, user: Any, namespace_slug: str, permissions: Iterable[str]) -> bool:
    """The global role's permissions, or else the membership's, cover `permissions` in this namespace."""
    permissions = list(permissions)
    if user.has_perms(permissions):
        return True
    return role_grants(member_role(user=user, namespace_slug=namespace_slug), permissions)


def may_read_namespace(*, user: Any, namespace_slug: str) -> bool:
    return user.has_perm(GLOBAL_READ) or member_role(user=user, namespace_slug=namespace_slug) is not None


def namespaces_visible_to(user: Any) -> QuerySet[Namespace]:
    """Every namespace for a global reader; otherwise only those the user is a member of."""
    if user.has_perm(GLOBAL_READ):
        return Namespace.objects.all()
    return Namespace.objects.filter(members__user_id=user.pk)
