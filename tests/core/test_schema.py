"""core.schema: the implied problem+json errors of every operation and the security schemes."""

import pytest
from django.core.management import call_command
from openapi_spec_validator import validate

from core.schema import ApiKeyScheme
from tests.support.contract import generate_schema

PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDetail"}}}


@pytest.fixture(scope="module")
def widget_schema() -> dict:
    return generate_schema("tests.contract.urls")


def _responses(schema: dict, path: str, method: str) -> dict:
    return schema["paths"][path][method]["responses"]


def test_schema__guarded_write__documents_every_implied_error(widget_schema):
    responses = _responses(widget_schema, "/api/v1/widgets/{widget_id}/guarded/", "post")

    assert set(responses) == {"201", "400", "401", "403", "404", "413", "415", "429"}
    assert all(responses[status]["content"] == PROBLEM for status in responses if status != "201")
    assert "Retry-After" in responses["429"]["headers"]
    assert "WWW-Authenticate" in responses["401"]["headers"]


def test_schema__public_read_without_parameters__documents_no_error(widget_schema):
    assert set(_responses(widget_schema, "/api/v1/widgets/", "get")) == {"200"}


def test_schema__declared_error__becomes_problem_json_and_path_parameter_adds_404(widget_schema):
    responses = _responses(widget_schema, "/api/v1/widgets/{variant}/", "get")

    assert set(responses) == {"200", "404", "409"}
    assert responses["409"] == {"description": "Already there.", "content": PROBLEM}


def test_schema__problem_detail_component__has_the_rfc_9457_members(widget_schema):
    problem = widget_schema["components"]["schemas"]["ProblemDetail"]

    assert set(problem["properties"]) == {"type", "title", "status", "detail", "code", "request_id", "errors"}
    assert "errors" not in problem["required"]
    assert widget_schema["components"]["schemas"]["ProblemFieldError"]["required"] == ["code", "field", "message"]


def test_schema__bearer_scheme__is_documented(widget_schema):
    scheme = widget_schema["components"]["securitySchemes"]["bearerAuth"]

    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")


def test_schema__api_key_scheme__is_the_authorization_header():
    definition = ApiKeyScheme(None).get_security_definition(None)

    assert (definition["type"], definition["in"], definition["name"]) == ("apiKey", "header", "Authorization")
    assert ApiKeyScheme.name == "apiKeyAuth"


def test_project_schema__is_valid_openapi_and_generates_without_warnings(tmp_path):
    # --fail-on-warn: a view the generator cannot describe exactly is a contract bug, not a warning.
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--api-version", "v1", "--file", str(target))

    validate(generate_schema())
    assert target.stat().st_size > 0
