"""RFC 9457 problem details: the one shape of every error under /api/."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from django.http import HttpRequest, HttpResponse

from core.request_context import current_request_id

PROBLEM_CONTENT_TYPE = "application/problem+json"

_DEFAULT_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    410: "gone",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    416: "range_not_satisfiable",
    428: "precondition_required",
    429: "throttled",
    500: "server_error",
    503: "service_unavailable",
    507: "insufficient_storage",
}


def status_title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def default_code(status: int) -> str:
    return _DEFAULT_CODES.get(status, "error")


def problem_body(
    status: int,
    *,
    detail: str | None = None,
    code: str | None = None,
    errors: list[dict[str, str]] | None = None,
    title: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or status_title(status),
        "status": status,
        "detail": detail or status_title(status),
        "code": code or default_code(status),
        "request_id": current_request_id(),
    }
    if errors is not None:
        body["errors"] = errors
    return body


def problem_response(
    request: HttpRequest | None,
    status: int,
    *,
    detail: str | None = None,
    code: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    """A plain Django response carrying a problem document (for code outside DRF views)."""
    body = problem_body(status, detail=detail, code=code, errors=errors)
    response = HttpResponse(json.dumps(body), status=status, content_type=PROBLEM_CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def is_api_path(path: str) -> bool:
    return path.startswith("/api/")
