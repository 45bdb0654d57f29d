"""Cross-cutting HTTP behaviour: request ids, the request log line, CSP, problem+json for every error."""

from __future__ import annotations

import errno
import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.middleware import common
from django.urls import ResolverMatch

from core.dependencies import DEPENDENCY_ERRORS
from core.net import client_ip
from core.problems import PROBLEM_CONTENT_TYPE, default_code, is_api_path, problem_response
from core.request_context import choose_request_id, reset_request_id, set_request_id

request_logger = logging.getLogger("app.request")
error_logger = logging.getLogger("app.error")

Handler = Callable[[HttpRequest], HttpResponse]

DOCS_PREFIXES = ("/api/v1/docs/", "/api/v1/redoc/", "/admin/", "/static/")


def route_label(match: ResolverMatch | None) -> str:
    """How logs and metrics name a request's route: its URL pattern (bounded), not the raw path."""
    return f"/{match.route}" if match and match.route else "<unmatched>"


def _route(request: HttpRequest) -> str:
    return route_label(getattr(request, "resolver_match", None))


class RequestIDMiddleware:
    """Gives every request an id (the client's if sane), exposes it to logs and echoes it back."""

    def __init__(self, get_response: Handler):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = choose_request_id(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = request_id  # type: ignore[attr-defined]
        token = set_request_id(request_id)
        try:
            response = self.get_response(request)
        finally:
            reset_request_id(token)
        response["X-Request-ID"] = request_id
        return response


def log_request(method: str, route: str, status: int, started: float, user_id: str | None, client: str) -> None:
    """The request's one log line (also the hot lane's, core.lane); `started` is its perf_counter()."""
    level = logging.ERROR if status >= 500 else logging.WARNING if status >= 400 else logging.INFO
    if not request_logger.isEnabledFor(level):
        return
    request_logger.log(
        level,
        "%s %s %s",
        method,
        route,
        status,
        extra={
            "method": method,
            "route": route,
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            "user_id": user_id,
            "client_ip": client,
        },
    )


class RequestLogMiddleware:
    """One structured log line per request."""

    def __init__(self, get_response: Handler):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        user = getattr(request, "user", None)
        user_id = str(user.pk) if user is not None and getattr(user, "is_authenticated", False) else None
        log_request(request.method, _route(request), response.status_code, started, user_id, client_ip(request))
        return response


class ContentSecurityPolicyMiddleware:
    """A strict CSP for the API, a fitting one for the docs and admin pages.

    Django 5.2 has no CSP support of its own, and django-csp configures one policy for the whole site;
    two policies chosen by path are simpler here.
    """

    def __init__(self, get_response: Handler):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            pages = request.path.startswith(DOCS_PREFIXES)
            response["Content-Security-Policy"] = settings.CSP_PAGES if pages else settings.CSP_API
        return response


class CommonMiddleware(common.CommonMiddleware):
    """Django's, except that it adds no `Content-Length: 0` to a 204 or a 304: RFC 9110 §8.6 forbids the
    header in a 204, and allows it in a 304 only as the length the 200 would have had."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if response.status_code in (204, 304):
            return response  # Django's only other step is the APPEND_SLASH redirect of a 404
        return super().process_response(request, response)


class ProblemDetailsMiddleware:
    """Under /api/, every error response is problem+json, whoever produced it.

    DRF views already answer with problem details (core.exception_handler). This catches the rest: Django's
    404 for an unknown route, 405 from plain views, oversized bodies, a refused Host header raised by an
    inner middleware, and unexpected exceptions, which are logged with the request id and answered with a
    500 that shows nothing internal (also when DEBUG). It sits near the top of MIDDLEWARE so that it also
    sees the error responses that inner middleware produce.
    """

    def __init__(self, get_response: Handler):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            is_api_path(request.path)
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith(PROBLEM_CONTENT_TYPE)
            and not getattr(response, "streaming", False)
        ):
            return self._as_problem(request, response)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_api_path(request.path):
            return None  # Django's handler500 (or, with DEBUG, core.debug.NoTracebackReporter)
        if isinstance(exception, RequestDataTooBig):
            return problem_response(request, 413, detail="The request body is too large.")
        # A dependency that is down is a 503 the client may retry, not a 500.
        if isinstance(exception, DEPENDENCY_ERRORS) or (
            isinstance(exception, DatabaseError) and "connection" in str(exception).lower()
        ):
            error_logger.error("dependency unavailable: %s", type(exception).__name__)
            return problem_response(
                request, 503, detail="A backing service is unavailable; retry shortly.", headers={"Retry-After": "5"}
            )
        if isinstance(exception, OSError) and exception.errno in (errno.ENOSPC, errno.EDQUOT):
            error_logger.error("storage full on %s %s", request.method, _route(request))
            return problem_response(request, 507, detail="The server has no room to store this; retry later.")
        error_logger.exception("unhandled error on %s %s", request.method, _route(request))
        response = problem_response(request, 500, detail="An unexpected error occurred; quote the request id.")
        response._has_been_logged = True  # type: ignore[attr-defined]  # just above, with the traceback
        return response

    @staticmethod
    def _as_problem(request: HttpRequest, response: HttpResponse) -> HttpResponse:
        status = response.status_code
        detail = None
        if status == 405 and response.get("Allow"):
            detail = f"Allowed methods: {response['Allow']}."
        problem = problem_response(request, status, detail=detail, code=default_code(status))
        for header, value in response.items():  # Allow, Retry-After, security and CORS headers...
            if header.lower() not in ("content-type", "content-length", "content-language"):
                problem[header] = value
        return problem
