"""Every (method, path) the URLconf serves, found by walking it, and which of them are public by contract.

The walk is what keeps the authentication test honest: an endpoint added tomorrow is tested tomorrow
without anyone listing it. Path parameters get harmless placeholder values; the authentication check
runs before the view looks them up, so a placeholder is as good as a real id.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

# API.md: no authentication on these (method, route) pairs. Routes are the URLconf templates below /.
PUBLIC: tuple[tuple[str, str], ...] = (
    ("*", r"^health$"),
    ("*", r"^ready$"),
    ("*", r"^metrics$"),
    ("*", r"^api/v1/(schema|docs|redoc)/"),
    ("POST", r"^api/v1/auth/register/$"),
    ("POST", r"^api/v1/auth/verify-email/$"),
    ("POST", r"^api/v1/auth/verify-email/resend/$"),
    ("POST", r"^api/v1/auth/token/$"),
    ("POST", r"^api/v1/auth/token/refresh/$"),
    ("POST", r"^api/v1/auth/password/reset/$"),
    ("POST", r"^api/v1/auth/password/reset/confirm/$"),
    ("*", r"^api/v1/d/"),  # signed links: the signature is the credential
    ("OPTIONS", r"^api/v1/uploads/"),  # tus/CORS preflight carries no credentials
)

_PLACEHOLDERS = {
    "uuid": lambda: str(uuid.uuid4()),
    "int": lambda: "1",
    "slug": lambda: "placeholder",
    "str": lambda: "placeholder",
    "path": lambda: "placeholder",
}
_CONVERTER = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)")
_METHODS = ("get", "post", "put", "patch", "delete", "head", "options")


@dataclass(frozen=True)
class Endpoint:
    method: str
    route: str  # the URLconf template, e.g. api/v1/namespaces/<slug:ns>/
    path: str  # a concrete path with placeholders filled in

    @property
    def public(self) -> bool:
        return any(method in ("*", self.method) and re.search(pattern, self.route) for method, pattern in PUBLIC)

    def __str__(self) -> str:
        return f"{self.method} /{self.route}"


def _concrete(route: str) -> str:
    def fill(match: re.Match[str]) -> str:
        converter = match.group("conv") if "conv" in match.groupdict() else None
        return _PLACEHOLDERS.get(converter or "str", _PLACEHOLDERS["str"])()

    path = _CONVERTER.sub(fill, route)
    path = _REGEX_GROUP.sub(lambda match: "placeholder", path)
    return "/" + path.lstrip("^").rstrip("$").replace("\\", "")


def _methods(callback) -> list[str]:
    actions = getattr(callback, "actions", None)  # DRF viewsets: {"get": "list", ...}
    if actions:
        methods = [method.upper() for method in actions]
        return [*methods, "OPTIONS"] if "OPTIONS" not in methods else methods
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is not None:
        return [method.upper() for method in _METHODS if method != "head" and hasattr(view_class, method)]
    return ["GET"]  # a plain function view: GET is what every one of ours answers


def _walk(patterns, prefix: str = ""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern.callback


def api_endpoints() -> list[Endpoint]:
    """Every method of every route outside the admin and static files, sorted for stable test ids."""
    found = {
        Endpoint(method, route, _concrete(route))
        for route, callback in _walk(get_resolver().url_patterns)
        if not route.startswith(("admin/", "static/"))
        for method in _methods(callback)
    }
    return sorted(found, key=lambda endpoint: (endpoint.route, endpoint.method))
