from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from core.middleware import route_label
from health.metrics import LATENCY, REQUESTS


class RequestMetricsMiddleware:
    """Counts requests and their latency by route template (not raw path, to bound cardinality)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        route = route_label(getattr(request, "resolver_match", None))
        count_request(request.method, route, response.status_code, started)
        return response


def count_request(method: str, route: str, status: int, started: float) -> None:
    """Count one answer and its latency (also the hot lane's, core.lane); `started` is its perf_counter()."""
    labels = (method if method in _METHODS else "OTHER", route, str(status))
    REQUESTS.labels(*labels).inc()
    LATENCY.labels(*labels).observe(time.perf_counter() - started)


_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
