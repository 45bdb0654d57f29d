"""DRF exception handler: every error of an API view becomes RFC 9457 problem+json."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import ApplicationError
from core.problems import PROBLEM_CONTENT_TYPE, problem_body

_DRF_CODE_NAMES = {
    "not_authenticated": "not_authenticated",
    "authentication_failed": "authentication_failed",
    "permission_denied": "permission_denied",
    "not_found": "not_found",
    "method_not_allowed": "method_not_allowed",
    "unsupported_media_type": "unsupported_media_type",
    "throttled": "throttled",
    "parse_error": "parse_error",
}


def _flatten_errors(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    """Turn DRF's nested error details into a flat list of {field, code, message}."""
    if isinstance(detail, dict):
        flat: list[dict[str, str]] = []
        for key, value in detail.items():
            name = "" if key in ("non_field_errors", "__all__") else str(key)
            flat.extend(_flatten_errors(value, f"{prefix}.{name}" if prefix and name else (name or prefix)))
        return flat
    if isinstance(detail, list):
        flat = []
        for index, item in enumerate(detail):
            if isinstance(item, (dict, list)):
                flat.extend(_flatten_errors(item, f"{prefix}.{index}" if prefix else str(index)))
            else:
                flat.extend(_flatten_errors(item, prefix))
        return flat
    return [{"field": prefix or "non_field_errors", "code": getattr(detail, "code", "invalid"), "message": str(detail)}]


def _validation_problem(exc: exceptions.ValidationError) -> dict[str, Any]:
    errors = _flatten_errors(exc.detail)
    codes = {error["code"] for error in errors}
    code = codes.pop() if len(codes) == 1 else "invalid"
    detail = errors[0]["message"] if len(errors) == 1 else "The request has invalid fields."
    if errors and errors[0]["field"] != "non_field_errors" and len(errors) == 1:
        detail = f"{errors[0]['field']}: {errors[0]['message']}"
    return problem_body(400, detail=detail, code=code if code != "invalid" else "validation_error", errors=errors)


def _application_problem(exc: ApplicationError) -> Response:
    body = problem_body(exc.status_code, detail=exc.detail, code=exc.code, title=exc.title)
    body.update(getattr(exc, "extensions", {}))  # RFC 9457 extension members of that problem type
    return Response(body, status=exc.status_code, headers=exc.headers, content_type=PROBLEM_CONTENT_TYPE)


def problem_exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, ApplicationError):
        return _application_problem(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # unexpected: core.middleware.ProblemDetailsMiddleware logs it and answers 500
    if isinstance(exc, exceptions.ValidationError):
        body = _validation_problem(exc)
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else None
        code = None
        if isinstance(exc, exceptions.APIException):
            code = _DRF_CODE_NAMES.get(exc.default_code, exc.default_code)
            detail_code = getattr(detail, "code", None)
            if isinstance(detail_code, str) and detail_code not in ("invalid", exc.default_code):
                code = detail_code
        if isinstance(detail, (list, dict)):
            detail = "; ".join(str(item) for item in (detail.values() if isinstance(detail, dict) else detail))
        body = problem_body(response.status_code, detail=str(detail) if detail else None, code=code)
    if response.status_code == status.HTTP_401_UNAUTHORIZED and "WWW-Authenticate" not in response:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    response.data = body
    response.content_type = PROBLEM_CONTENT_TYPE
    return response
