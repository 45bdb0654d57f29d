"""DRF exception handler: every error of an API view becomes RFC 9457 problem+json."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import ApplicationError, ValidationError
from core.problems import PROBLEM_CONTENT_TYPE, problem_body


def _flatten_errors(detail: Any, prefix: str = "", default_code: str = "invalid") -> list[dict[str, str]]:
    """Turn nested error details (DRF's, or core.errors.ValidationError's) into a flat list of {field, code,
    message}; a message without its own `.code` gets `default_code`."""
    if isinstance(detail, Mapping):
        flat: list[dict[str, str]] = []
        for key, value in detail.items():
            name = "" if key in ("non_field_errors", "__all__") else str(key)
            where = f"{prefix}.{name}" if prefix and name else (name or prefix)
            flat.extend(_flatten_errors(value, where, default_code))
        return flat
    if isinstance(detail, (list, tuple)):
        flat = []
        for index, item in enumerate(detail):
            if isinstance(item, (Mapping, list, tuple)):
                flat.extend(_flatten_errors(item, f"{prefix}.{index}" if prefix else str(index), default_code))
            else:
                flat.extend(_flatten_errors(item, prefix, default_code))
        return flat
    code = getattr(detail, "code", None) or default_code
    return [{"field": prefix or "non_field_errors", "code": code, "message": str(detail)}]


def _validation_problem(errors: list[dict[str, str]]) -> dict[str, Any]:
    codes = {error["code"] for error in errors}
    code = codes.pop() if len(codes) == 1 else "invalid"
    detail = errors[0]["message"] if len(errors) == 1 else "The request has invalid fields."
    if errors and errors[0]["field"] != "non_field_errors" and len(errors) == 1:
        detail = f"{errors[0]['field']}: {errors[0]['message']}"
    return problem_body(400, detail=detail, code=code if code != "invalid" else "validation_error", errors=errors)


def _application_problem(exc: ApplicationError) -> Response:
    if isinstance(exc, ValidationError):
        body = _validation_problem(_flatten_errors(exc.errors, default_code=exc.field_code))
    else:
        body = problem_body(exc.status_code, detail=exc.detail, code=exc.code, title=exc.title)
        body.update(exc.extensions)
    return Response(body, status=exc.status_code, headers=exc.headers, content_type=PROBLEM_CONTENT_TYPE)


def _drf_problem(exc: exceptions.APIException, status_code: int) -> dict[str, Any]:
    if isinstance(exc, exceptions.ValidationError):
        return _validation_problem(_flatten_errors(exc.detail))
    detail = exc.detail
    code = exc.default_code
    detail_code = getattr(detail, "code", None)
    if isinstance(detail_code, str) and detail_code not in ("invalid", exc.default_code):
        code = detail_code
    if isinstance(detail, (list, dict)):
        detail = "; ".join(str(item) for item in (detail.values() if isinstance(detail, dict) else detail))
    return problem_body(status_code, detail=str(detail) if detail else None, code=code)


def problem_exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, ApplicationError):
        response = _application_problem(exc)
    else:
        if isinstance(exc, Http404):
            exc = exceptions.NotFound()
        elif isinstance(exc, DjangoPermissionDenied):
            exc = exceptions.PermissionDenied()
        response = drf_exception_handler(exc, context)
        if response is None:
            return None  # unexpected: core.middleware.ProblemDetailsMiddleware logs it and answers 500
        response.data = _drf_problem(exc, response.status_code)
        response.content_type = PROBLEM_CONTENT_TYPE
    if response.status_code == status.HTTP_401_UNAUTHORIZED and "WWW-Authenticate" not in response:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    request = context.get("request")
    if request is not None:  # JSON whatever the view renders otherwise (the schema's YAML, the docs' HTML)
        request.accepted_renderer, request.accepted_media_type = JSONRenderer(), PROBLEM_CONTENT_TYPE
    return response
