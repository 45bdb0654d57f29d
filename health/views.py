"""Liveness, readiness and metrics: plain Django views, no authentication, no /api prefix."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from health import checks, state
from health.metrics import exposition


@never_cache
@require_safe
def liveness(request: HttpRequest) -> JsonResponse:
    # Touches no dependency: a database outage must not make the orchestrator restart healthy pods.
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readiness(request: HttpRequest) -> JsonResponse:
    results = checks.run_checks()
    if state.is_shutting_down():
        results["shutdown"] = {"status": "fail", "error": "graceful shutdown in progress"}
    healthy = all(result["status"] == "ok" for result in results.values())
    response = JsonResponse({"status": "ok" if healthy else "fail", "checks": results}, status=200 if healthy else 503)
    if not healthy:
        response["Retry-After"] = "5"
    return response


@never_cache
@require_safe
def metrics_view(request: HttpRequest) -> HttpResponse:
    body, content_type = exposition()
    return HttpResponse(body, content_type=content_type)
