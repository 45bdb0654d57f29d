"""The hot lane: a few hot reads answered in front of Django's request handler, in Django's exact words.

Why by hand: a warm read of a remembered answer (a resolved document under its current marker, say) costs
one Redis round trip and a dictionary lookup, about 0.1 ms; Django's request object, its middleware chain
and DRF's dispatch add about 0.4 ms to it, four times the work itself, and no library serves a Django
answer without them. So a route registered here (`LaneRoute`) may answer a request itself, and declines
(returns None) whenever it is not sure it would answer exactly as the full stack: then the request goes on
to Django untouched. A route only ever answers what needs no database and no write, and it never answers
with an error: refusals, problems, redirects and every unusual request are the full stack's.

Its answer has Django's exact headers: the lane replays the header list of the full stack's last answer of
the same route, status and scheme in this process, with the per-answer values (the request id, the
length, the route's own headers such as the ETag) put in. Until the full stack has answered a route
once here, the lane does not answer it; an answer that set a cookie is never replayed. Each answer is
logged and counted like any other (core.middleware.log_request, health.middleware.count_request).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.urls import resolve

from core.middleware import log_request
from core.net import resolve_client_ip
from core.request_context import choose_request_id, reset_request_id, set_request_id
from health.middleware import count_request

Environ = dict[str, Any]
StartResponse = Callable[..., Any]

# Only requests that cannot make the full stack answer differently: no body, query, cookie, CORS or
# negotiation of another representation.
_PLAIN_ACCEPT = frozenset({"", "*/*", "application/json"})
_UNSUITABLE = ("QUERY_STRING", "HTTP_COOKIE", "HTTP_ORIGIN", "HTTP_X_FORWARDED_HOST", "HTTP_TRANSFER_ENCODING")
_PER_ANSWER = frozenset({"x-request-id", "content-length"})


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # the route's own headers: exactly `LaneRoute.own_headers`
    body: bytes = b""
    user_id: str | None = None


@dataclass(frozen=True)
class LaneRoute:
    name: str
    pattern: re.Pattern[str]  # matched against PATH_INFO; its groups are the handler's keyword arguments
    handler: Callable[..., Answer | None]  # (environ, **groups) -> Answer, or None: let the full stack answer
    own_headers: frozenset[str]  # lower-case names of the headers the handler may set itself


@dataclass(frozen=True)
class Template:
    """The full stack's answer of a route, status and scheme: its status line and header list (None where the
    value is per answer), the route as logs and metrics name it, and which of the route's own headers it had."""

    status_line: str
    headers: list[tuple[str, str | None]]
    route: str
    own: frozenset[str]


def _scheme(environ: Environ) -> str:
    """What makes Django see the request as secure (and so add HSTS, or redirect): both inputs, as one key."""
    proxy = settings.SECURE_PROXY_SSL_HEADER
    return f"{environ.get('wsgi.url_scheme', 'http')}|{environ.get(proxy[0], '') if proxy else ''}"


def _host_allowed(environ: Environ) -> bool:
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
    domain, _ = split_domain_port(host)
    return bool(domain) and validate_host(domain, settings.ALLOWED_HOSTS)


class HotLane:
    """WSGI middleware in front of the Django application (config.wsgi)."""

    def __init__(self, application: Callable[[Environ, StartResponse], Iterable[bytes]], routes: list[LaneRoute]):
        self.application = application
        self.routes = routes
        self.templates: dict[tuple[str, int, str], Template] = {}  # by route name, status and scheme

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        route, groups = self._route(environ)
        if route is None:
            return self.application(environ, start_response)
        started = time.perf_counter()
        request_id = choose_request_id(environ.get("HTTP_X_REQUEST_ID"))
        token = set_request_id(request_id)
        try:
            answer = route.handler(environ, **groups)
            own = {name.lower(): value for name, value in answer.headers.items()} if answer is not None else {}
            key = (route.name, answer.status, _scheme(environ)) if answer is not None else None
            template = self.templates.get(key) if key is not None else None
            if answer is None or template is None or own.keys() != template.own:
                return self.application(environ, self._learning(route, environ, start_response))
            values = {"x-request-id": request_id, "content-length": str(len(answer.body)), **own}
            start_response(
                template.status_line,
                [(name, value if value is not None else values[name.lower()]) for name, value in template.headers],
            )
            client = resolve_client_ip(environ.get("REMOTE_ADDR", ""), environ.get("HTTP_X_FORWARDED_FOR", ""))
            log_request("GET", template.route, answer.status, started, answer.user_id, client)
            count_request("GET", template.route, answer.status, started)
            return [answer.body]
        finally:
            reset_request_id(token)

    def _route(self, environ: Environ) -> tuple[LaneRoute | None, dict[str, str]]:
        if environ.get("REQUEST_METHOD") != "GET" or environ.get("CONTENT_LENGTH", "0") not in ("", "0"):
            return None, {}
        if any(environ.get(name) for name in _UNSUITABLE):
            return None, {}
        if environ.get("HTTP_ACCEPT", "") not in _PLAIN_ACCEPT or not _host_allowed(environ):
            return None, {}
        path = environ.get("PATH_INFO", "")
        for route in self.routes:
            match = route.pattern.fullmatch(path)
            if match is not None:
                return route, match.groupdict()
        return None, {}

    def _learning(self, route: LaneRoute, environ: Environ, start_response: StartResponse) -> StartResponse:
        """`start_response` that keeps the full stack's header list of a 200 or 304 as the route's template."""
        scheme, path = _scheme(environ), environ.get("PATH_INFO", "")

        def learn(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            code = int(status.split(" ", 1)[0])
            names = {name.lower() for name, _ in headers}
            if code in (200, 304) and "set-cookie" not in names:
                kept = [
                    (name, None if name.lower() in _PER_ANSWER or name.lower() in route.own_headers else value)
                    for name, value in headers
                ]
                own = frozenset(names & route.own_headers)
                self.templates[(route.name, code, scheme)] = Template(status, kept, f"/{resolve(path).route}", own)
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        return learn
