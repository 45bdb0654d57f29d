"""Contract checking of test responses against the generated OpenAPI schema.

`ContractAPIClient` is DRF's APIClient plus one step: every response to a request under /api/ is checked
against the schema that drf-spectacular generates (once per test session): the path and method must be an
operation of the schema, the status must be documented (or `default`), the Content-Type must be one the
response documents, and a JSON body must validate against its schema (OpenAPI 3.0 semantics, formats
checked, writeOnly fields forbidden, and no field the schema does not declare). A violation fails the test
with an AssertionError naming the request, the operation and the offending JSON path.

Not checked: paths outside /api/ (health, metrics, admin: not part of the schema), the documentation
endpoints themselves, OPTIONS (drf-spectacular never documents it), and bodies that are bytes rather than
JSON. HEAD is checked against the GET operation, without a body (drf-spectacular documents no HEAD, so
a HEAD-only route such as tus's is not checked). A deliberately off-contract request (an
unknown route, a method the operation lacks) opts out explicitly: `client.get(url, off_contract=True)`.

Hand-written rather than schemathesis/openapi-core: those validate a request/response pair from their own
HTTP objects; adapting Django's test responses to them costs more code than this, and this one caches one
compiled validator per (operation, status, media type), so the check costs microseconds per response.
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from typing import Any

from openapi_schema_validator import OAS30ReadValidator, oas30_format_checker
from rest_framework.test import APIClient

OFF_CONTRACT = "off_contract"
PROJECT_URLCONF = "config.urls"
_UNCHECKED_PATHS = re.compile(r"^/api/v1/(schema|docs|redoc)/")
_JSON_MEDIA = re.compile(r"^application/(.+\+)?json$")
_PARAMETER = re.compile(r"\{[^}/]+\}")


class ContractViolation(AssertionError):
    pass


def generate_schema(urlconf: str | None = None) -> dict[str, Any]:
    """The schema `/api/v1/schema/` serves (or that of another URLconf, for tests of this module)."""
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator(api_version="v1", urlconf=urlconf).get_schema(request=None, public=True)


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _matching_media(content: dict[str, Any], media: str) -> str | None:
    for documented in content:
        pattern = re.escape(documented.lower()).replace(r"\*", "[^/]+")
        if re.fullmatch(pattern, media):
            return documented
    return None


def _closed(node: Any) -> Any:
    """Forbid properties a schema object does not declare: an undocumented field is a contract break too
    (it is how a leaked internal field would slip through). Objects that declare additionalProperties keep it."""
    if isinstance(node, dict):
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for value in node.values():
            _closed(value)
    elif isinstance(node, list):
        for item in node:
            _closed(item)
    return node


def _json_path(error: Any) -> str:
    path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path)
    return f"body{path}"


class ContractChecker:
    """Checks responses against one OpenAPI document; compiled validators are cached per response schema."""

    def __init__(self, schema: dict[str, Any]):
        self.schema = schema
        self._components = _closed(copy.deepcopy(schema.get("components", {})))
        self._validators: dict[tuple[str, str, str, str], OAS30ReadValidator | None] = {}
        patterns = []
        for template in schema["paths"]:
            regex = "[^/]+".join(re.escape(part) for part in _PARAMETER.split(template))
            patterns.append((re.compile(f"^{regex}$"), template))
        # A literal segment beats a parameter: /files/upload/ before /files/{id}/.
        self._patterns = sorted(patterns, key=lambda item: item[1].count("{"))

    def check(self, method: str, path: str, response: Any) -> None:
        """Raise ContractViolation when `response` to `method path` breaks the schema."""
        if not path.startswith("/api/") or _UNCHECKED_PATHS.match(path) or method == "OPTIONS":
            return
        schema_method = "get" if method == "HEAD" else method.lower()
        if method == "HEAD" and not self._has_get(path):
            return
        template, operation = self._operation(path, method, schema_method)
        status = str(response.status_code)
        where = f"{method} {path} (operation {operation.get('operationId')}, status {status})"
        status_key = next((key for key in (status, f"{status[0]}XX", "default") if key in operation["responses"]), None)
        if status_key is None:
            raise ContractViolation(f"{where}: status not documented (documented: {', '.join(operation['responses'])})")
        content = operation["responses"][status_key].get("content") or {}
        streaming = getattr(response, "streaming", False)
        body = b"" if streaming else response.content
        if not content:
            if body:
                raise ContractViolation(f"{where}: documents no body, got {len(body)} bytes")
            return
        media = _media_type(response.get("Content-Type", ""))
        documented_media = _matching_media(content, media)
        if documented_media is None:
            documented = ", ".join(content)
            raise ContractViolation(f"{where}: Content-Type {media or '(none)'} is not documented ({documented})")
        if method == "HEAD" or streaming or not _JSON_MEDIA.match(media):
            return
        validator = self._validator(template, schema_method, status_key, documented_media)
        if validator is None:
            return
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise ContractViolation(f"{where}: body is not JSON ({exc}): {body[:200]!r}") from None
        errors = sorted(validator.iter_errors(data), key=lambda error: [str(part) for part in error.absolute_path])
        if errors:
            raise ContractViolation(f"{where}: {_json_path(errors[0])}: {errors[0].message}")

    def _has_get(self, path: str) -> bool:
        template = next((template for regex, template in self._patterns if regex.match(path)), None)
        return template is not None and "get" in self.schema["paths"][template]

    def _operation(self, path: str, method: str, schema_method: str) -> tuple[str, dict[str, Any]]:
        template = next((template for regex, template in self._patterns if regex.match(path)), None)
        if template is None:
            raise ContractViolation(f"{method} {path}: no path of the OpenAPI schema matches it")
        operations = self.schema["paths"][template]
        if schema_method not in operations:
            documented = ", ".join(sorted(key.upper() for key in operations if key != "parameters"))
            raise ContractViolation(f"{method} {path}: {template} documents only {documented}")
        return template, operations[schema_method]

    def _validator(self, template: str, method: str, status_key: str, media: str) -> OAS30ReadValidator | None:
        key = (template, method, status_key, media)
        if key not in self._validators:
            media_object = self.schema["paths"][template][method]["responses"][status_key]["content"][media]
            schema = media_object.get("schema")
            # The components travel with the schema, so "#/components/schemas/..." references resolve in place.
            document = {**_closed(copy.deepcopy(schema)), "components": self._components} if schema else None
            self._validators[key] = (
                OAS30ReadValidator(document, format_checker=oas30_format_checker) if document else None
            )
        return self._validators[key]


@cache
def default_checker() -> ContractChecker:
    """The checker of the project's own schema, generated once per test session (from the project's URLconf
    by name: a test's `urls` marker must not decide what every later test is checked against)."""
    return ContractChecker(generate_schema(PROJECT_URLCONF))


class ContractAPIClient(APIClient):
    """APIClient whose every response is checked against the OpenAPI schema (see the module docstring)."""

    def __init__(self, *args: Any, checker: ContractChecker | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._checker = checker  # None: the project's schema

    def request(self, **kwargs: Any) -> Any:
        off_contract = kwargs.pop(OFF_CONTRACT, False)
        response = super().request(**kwargs)
        if not off_contract:
            (self._checker or default_checker()).check(kwargs["REQUEST_METHOD"], kwargs["PATH_INFO"], response)
        return response
