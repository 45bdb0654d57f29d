"""The hot lane: a few hot reads answered in front of Django's request handler, in Django's exact words.

Why by hand: a warm read of a remembered answer (a resolved document under its current marker, say) costs
one Redis round trip and a dictionary lookup, about 0.1 ms; Django's request object, its middleware chain
and DRF's dispatch add about 0.4 ms to it, four times the work itself, and no library serves a Django
answer without them. So a route registered here (`LaneRoute`) may answer a request itself, and declines
(returns None) whenever it is not sure it would answer exactly as the full stack: then the request goes on
to Django untouched. A route only ever answers what needs no database and no write, and it never answers
with an error: refusals, problems, redirects and every unusual request are the full stack's.

Its answer has Django's exact headers: the lane replays the header list of the full stack's answer of the
same route, status and scheme in this process, with the per-answer values (the request id, the length, the
route's own headers such as the ETag) put in. It learns that list the first time it is ready to answer a
route: it lets the full stack answer that request, and keeps the list only if the full stack's answer is
the one it was about to give (status, its own headers, body) and sets no cookie. Each answer is logged and
counted like any other (core.middleware.log_request, health.middleware.count_request).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.urls import resolve

from core.middleware import log_request, route_label
from core.net import resolve_client_ip
from core.request_context import choose_request_id, reset_request_id, set_request_id
from health.middleware import count_request

logger = logging.getLogger("core.lane")

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
            if answer is None:
                return self.application(environ, start_response)
            template = self.templates.get((route.name, answer.status, _scheme(environ)))
            own = {name.lower(): value for name, value in answer.headers.items()}
            if template is None or own.keys() != template.own:
                return self._learn(route, answer, own, environ, start_response)
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

    def _learn(
        self, route: LaneRoute, answer: Answer, own: dict[str, str], environ: Environ, start_response: StartResponse
    ) -> list[bytes]:
        """Let the full stack answer the request the lane was ready to answer (`answer`, whose own headers are
        `own`, by lower-case name); when the two agree (status, own headers, body) and no cookie is set, keep the
        full stack's header list as the template."""
        seen: dict[str, Any] = {}

        def keep(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen.update(status=status, headers=headers)
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        result = self.application(environ, keep)
        try:
            body = b"".join(result)
        finally:
            getattr(result, "close", lambda: None)()
        status, headers = seen["status"], seen["headers"]
        if int(status.split(" ", 1)[0]) != answer.status:
            return [body]  # a refusal, a redirect...: nothing to learn from it
        names = {name.lower(): value for name, value in headers}
        if body != answer.body or "set-cookie" in names or any(names.get(n) != v for n, v in own.items()):
            logger.warning("hot lane: route %s answered otherwise than the full stack; not replayed", route.name)
            return [body]
        kept = [
            (name, None if name.lower() in _PER_ANSWER or name.lower() in own else value) for name, value in headers
        ]
        self.templates[(route.name, answer.status, _scheme(environ))] = Template(
            status, kept, route_label(resolve(environ["PATH_INFO"])), frozenset(own)
        )
        return [body]
