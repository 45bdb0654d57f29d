"""OpenAPI generation: the standard problem+json error responses on every operation, and the security schemes.

drf-spectacular documents what a view declares; the errors that the shared machinery produces for every view
(parse errors, authentication, permissions, unknown objects, media types, body size, throttling) are added here
once, so each view only declares its own domain errors. A view declares more (or overrides a description) with
`extend_schema(responses={409: problem("...")})`; any error status it declares without a body, or with the
ProblemDetail schema, is documented as `application/problem+json`.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_bearer_security_scheme_object, get_override
from drf_spectacular.utils import OpenApiResponse
from rest_framework import permissions, serializers

from core.problems import PROBLEM_CONTENT_TYPE
from core.serializers import RejectUnknownFieldsMixin

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_PLAIN_PERMISSIONS = (permissions.AllowAny, permissions.IsAuthenticated)

_RETRY_AFTER = {
    "Retry-After": {"schema": {"type": "integer", "minimum": 1}, "description": "Seconds to wait before retrying."}
}
_WWW_AUTHENTICATE = {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "The expected scheme."}}
# Any JSON value but null: OpenAPI 3.0 has no `type: null` to exclude, so the other five types are listed.
_NON_NULL_JSON = {
    "anyOf": [{"type": kind} for kind in ("string", "number", "boolean", "object")] + [{"type": "array", "items": {}}]
}


class ProblemFieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="Dotted path of the offending field, or `non_field_errors`.")
    code = serializers.CharField(help_text="Stable machine-readable code of this error.")
    message = serializers.CharField()


class ProblemDetailSerializer(serializers.Serializer):
    """RFC 9457 problem details, the one shape of every error under /api/."""

    type = serializers.CharField(help_text="A URI reference identifying the problem type (`about:blank`).")
    title = serializers.CharField()
    status = serializers.IntegerField(min_value=400, max_value=599)
    detail = serializers.CharField()
    code = serializers.CharField(help_text="Stable machine-readable error code, e.g. `email_not_verified`.")
    request_id = serializers.CharField(help_text="The X-Request-ID of the request, to quote in a report.")
    errors = ProblemFieldErrorSerializer(many=True, required=False, help_text="Only for validation errors.")


def problem(description: str) -> OpenApiResponse:
    """An error response for `extend_schema(responses=...)`; documented as application/problem+json."""
    return OpenApiResponse(ProblemDetailSerializer, description=description)


class ProblemAutoSchema(AutoSchema):
    """AutoSchema that documents the errors every DRF view of this project can answer with, and the request
    constraints drf-spectacular leaves out although the serializers enforce them: no unknown fields
    (`additionalProperties: false` for a RejectUnknownFieldsMixin body), `allow_empty=False` lists
    (`minItems: 1`), JSON fields that refuse null, and what a serializer's `request_schema_constraints`
    adds (a rule across its fields that it or its service enforces)."""

    def _map_basic_serializer(self, serializer, direction):  # type: ignore[override]
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "request" and isinstance(serializer, RejectUnknownFieldsMixin):
            schema["additionalProperties"] = False
        if direction == "request":
            schema.update(getattr(serializer, "request_schema_constraints", {}))
        return schema

    def _map_serializer_field(self, field, direction, bypass_extensions=False):  # type: ignore[override]
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if schema is None or direction != "request":
            return schema
        override = get_override(field, "field")
        if isinstance(override, dict) and "minLength" in override:
            # drf-spectacular writes minLength 1 for a non-blank CharField over an extend_schema_field's own.
            schema["minLength"] = override["minLength"]
        if isinstance(field, serializers.ListField | serializers.ListSerializer) and not field.allow_empty:
            schema.setdefault("minItems", 1)
        if isinstance(field, serializers.JSONField) and not field.allow_null and not set(schema) & {"type", "$ref"}:
            schema.update(_NON_NULL_JSON)
        return schema

    def get_operation(self, path, path_regex, path_prefix, method, registry):  # type: ignore[override]
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation["responses"]
        problem_ref = self.resolve_serializer(ProblemDetailSerializer, "response").ref
        for status, response in responses.items():
            if status.isdigit() and int(status) >= 400:
                self._as_problem(response, problem_ref)
        for status, description, headers in self._implied_errors(operation):
            if status not in responses:
                responses[status] = {"description": description, "headers": dict(headers)}
                self._as_problem(responses[status], problem_ref)
            elif headers:
                responses[status].setdefault("headers", {}).update(
                    {name: value for name, value in headers.items() if name not in responses[status]["headers"]}
                )
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    @staticmethod
    def _as_problem(response: dict[str, Any], problem_ref: dict[str, str]) -> None:
        content = response.get("content")
        if not content or any(media.get("schema") == problem_ref for media in content.values()):
            response["content"] = {PROBLEM_CONTENT_TYPE: {"schema": problem_ref}}
        if not response.get("headers"):
            response.pop("headers", None)

    def _implied_errors(self, operation: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
        has_body = self.method in _BODY_METHODS and "requestBody" in operation
        has_query = any(parameter.get("in") == "query" for parameter in operation.get("parameters", []))
        security = operation.get("security", [])
        permission_classes = [type(permission) for permission in self.view.get_permissions()]
        errors: list[tuple[str, str, dict[str, Any]]] = []
        if has_body or has_query:
            errors.append(("400", "Malformed or invalid request.", {}))
        if any(requirement for requirement in security):
            # Even a public operation authenticates a presented credential: a bad one is a 401.
            public = {} in security
            description = "Invalid credentials." if public else "Missing or invalid credentials."
            errors.append(("401", description, _WWW_AUTHENTICATE))
        if any(cls not in _PLAIN_PERMISSIONS for cls in permission_classes):
            errors.append(("403", "Authenticated but not allowed.", {}))
        if "{" in self.path or (self.method == "GET" and self._is_list_view() and self._get_paginator()):
            errors.append(("404", "Not found, or not yours.", {}))
        if has_body:
            errors.append(("413", "The request body is too large.", {}))
            errors.append(("415", "Unsupported media type: send application/json.", {}))
        if self.view.get_throttles():
            errors.append(("429", "Too many requests.", _RETRY_AFTER))
        return errors


class BearerJWTScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.SessionJWTAuthentication"
    match_subclasses = True
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        definition = build_bearer_security_scheme_object(
            header_name="HTTP_AUTHORIZATION",
            token_prefix="Bearer",  # noqa: S106  # nosec B106
            bearer_format="JWT",
        )
        definition["description"] = "`Authorization: Bearer <access JWT>` from the login or refresh endpoint."
        return definition


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "configurations.authentication.ApiKeyAuthentication"
    match_subclasses = True
    optional = True
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Authorization: Api-Key <key>`, for machine clients of the configuration service.",
        }
