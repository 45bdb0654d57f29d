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
    ("POST", r"^api/v1/auth/mfa/verify/$"),
    (
        "POST",
        r"^api/v1/auth/passkeys/login/(options/)?$",
    ),  # a passkey assertion is the credential  # the second step of a login: the mfa_token is the credential
    ("*", r"^api/v1/d/"),  # signed links: the signature is the credential
    ("OPTIONS", r"^api/v1/uploads/"),  # tus/CORS preflight carries no credentials
    ("*", r"^o/(login/|authorize/|\\?\.well-known/)"),  # the OAuth login page, consent (after login), discovery
)
# OAuth endpoints that authenticate the *client* (RFC 6749 §2.3, RFC 7009, RFC 7662) or take an OAuth token
# (OIDC userinfo) and answer with OAuth's own JSON errors, not problem+json: tests/oauth covers them.
OAUTH_CLIENT_ENDPOINTS = re.compile(r"^o/(token|revoke_token|introspect|userinfo)/$")

_PLACEHOLDERS = {
    "uuid": lambda: str(uuid.uuid4()),
    "int": lambda: "1",
    "str": lambda: "placeholder",  # also slugs, keys, paths and the apps' own converters
}
_CONVERTER = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<pattern>[^)]*)\)")
_METHODS = ("get", "post", "put", "patch", "delete", "head", "options")


@dataclass(frozen=True)
class Endpoint:
    method: str
    route: str  # the URLconf template, e.g. api/v1/namespaces/<slug:ns>/
    path: str  # a concrete path with placeholders filled in
    public: bool = False

    def __str__(self) -> str:
        return f"{self.method} /{_REGEX_GROUP.sub(lambda match: '<' + match.group('name') + '>', self.route)}"


def _regex_placeholder(match: re.Match[str]) -> str:
    """A value the router's group pattern accepts: a UUID, a number or a word."""
    pattern = match.group("pattern")
    if "{8}" in pattern:
        return str(uuid.uuid4())
    return "1" if pattern.startswith(("[0-9]", "\\d")) else "placeholder"


def _normalized(route: str) -> str:
    """Router routes are regexes (`^users/$`) inside a path prefix: drop their anchors."""
    return route.replace("^", "").replace("$", "")


def _concrete(route: str) -> str:
    path = _REGEX_GROUP.sub(_regex_placeholder, route)
    path = _CONVERTER.sub(lambda match: _PLACEHOLDERS.get(match.group("conv"), _PLACEHOLDERS["str"])(), path)
    return "/" + _normalized(path).replace("\\", "")


def _methods(callback) -> list[str]:
    actions = getattr(callback, "actions", None)  # DRF viewsets: {"get": "list", ...}
    if actions:
        return sorted({*(method.upper() for method in actions), "OPTIONS"})
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is None:
        return ["GET"]  # a plain function view: GET is what every one of ours answers
    allowed = getattr(view_class, "http_method_names", _METHODS)
    # `head` exists on a class only when the view defines it (Django derives it from GET per instance).
    return [method.upper() for method in _METHODS if method in allowed and hasattr(view_class, method)]


def _walk(patterns, prefix: str = ""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern.callback


def _documented_public(method: str, route: str) -> bool:
    return any(allowed in ("*", method) and re.search(pattern, route) for allowed, pattern in PUBLIC)


def api_endpoints() -> list[Endpoint]:
    """Every method of every route outside the admin and static files, sorted for stable test ids."""
    endpoints = {
        Endpoint(method, _normalized(route), _concrete(route), _documented_public(method, _normalized(route)))
        for route, callback in _walk(get_resolver().url_patterns)
        if not route.startswith(("admin/", "static/")) and not OAUTH_CLIENT_ENDPOINTS.match(_normalized(route))
        for method in _methods(callback)
    }
    return sorted(endpoints, key=lambda endpoint: (endpoint.route, endpoint.method))
