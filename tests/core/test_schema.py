"""core.schema: the implied problem+json errors of every operation and the security schemes."""

import base64
import hashlib
import re

import pytest
from django.core.management import call_command
from jsonschema import Draft4Validator
from openapi_spec_validator import validate

from config import openapi_links
from core.schema import ApiKeyScheme
from tests.support.contract import generate_schema
from uploads.tus import CHECKSUM_ALGORITHMS, parse_checksum

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


# The constraints the serializers enforce, in the project schema (one test per kind) -------------------


@pytest.fixture(scope="module")
def project_schema() -> dict:
    return generate_schema()


def _component(schema: dict, name: str) -> dict:
    return schema["components"]["schemas"][name]


def test_project_schema__strict_request_body__forbids_unknown_fields(project_schema):
    assert _component(project_schema, "NamespaceCreateInputRequest")["additionalProperties"] is False
    assert "additionalProperties" not in _component(project_schema, "NamespaceOutput")


def test_project_schema__non_empty_lists__have_min_items(project_schema):
    changes = _component(project_schema, "ChangeRequestCreateInputRequest")["properties"]["changes"]
    events = _component(project_schema, "WebhookCreateInputRequest")["properties"]["events"]

    assert (changes["minItems"], events["minItems"]) == (1, 1)


def test_project_schema__json_value_that_refuses_null__lists_every_other_type(project_schema):
    value = _component(project_schema, "EntryCreateInputRequest")["properties"]["value"]

    assert {option["type"] for option in value["anyOf"]} == {"string", "number", "boolean", "object", "array"}


def test_project_schema__new_password__has_the_validators_minimum_length(project_schema):
    new = _component(project_schema, "AccountRegisterInputRequest")["properties"]["password"]
    login = _component(project_schema, "AccountTokenInputRequest")["properties"]["password"]

    assert (new["minLength"], new["maxLength"], new["writeOnly"]) == (12, 1024, True)
    assert login["minLength"] == 1


def test_project_schema__patch_body__keeps_the_fields_the_view_requires(project_schema):
    body = project_schema["paths"]["/api/v1/users/me/"]["patch"]["requestBody"]["content"]["application/json"]

    assert body["schema"] == {"$ref": "#/components/schemas/AccountProfileUpdateInputRequest"}
    assert _component(project_schema, "AccountProfileUpdateInputRequest")["required"] == ["display_name"]


def test_project_schema__passkey_credential__is_an_object(project_schema):
    credential = _component(project_schema, "PasskeyLoginInputRequest")["properties"]["credential"]

    assert credential["type"] == "object"


def test_project_schema__diff_against__is_a_slug(project_schema):
    parameters = project_schema["paths"]["/api/v1/namespaces/{ns}/environments/{env}/diff/"]["get"]["parameters"]
    against = next(parameter for parameter in parameters if parameter["name"] == "against")

    assert (against["required"], against["schema"]["pattern"]) == (True, "^[a-z0-9-]{1,64}$")


def test_project_schema__change_set__requires_a_value_and_a_delete_does_not(project_schema):
    change = {**_component(project_schema, "ChangeInputRequest"), "components": project_schema["components"]}
    assert Draft4Validator(change).is_valid({"key": "k", "op": "set", "value": 1})
    assert Draft4Validator(change).is_valid({"key": "k", "op": "delete"})
    assert not Draft4Validator(change).is_valid({"key": "k", "op": "set"})
    assert "oneOf" not in _component(project_schema, "ChangeOutput")


def test_project_schema__entry_schema__is_an_object_or_a_boolean_or_null(project_schema):
    schema = _component(project_schema, "EntryCreateInputRequest")["properties"]["schema"]

    assert (schema["oneOf"], schema["nullable"]) == ([{"type": "object"}, {"type": "boolean"}], True)


@pytest.mark.parametrize("algorithm", CHECKSUM_ALGORITHMS)
def test_project_schema__upload_checksum__matches_exactly_what_the_server_parses(project_schema, algorithm):
    parameters = project_schema["paths"]["/api/v1/uploads/{upload_id}"]["patch"]["parameters"]
    checksum = next(parameter for parameter in parameters if parameter["name"] == "Upload-Checksum")["schema"]
    digest = base64.b64encode(hashlib.new(algorithm, b"x").digest()).decode()

    assert re.fullmatch(checksum["pattern"], f"{algorithm} {digest}")
    assert parse_checksum(f"{algorithm} {digest}") is not None
    assert not re.fullmatch(checksum["pattern"], f"{algorithm} {digest[:-4]}")


# OpenAPI links ---------------------------------------------------------------------------------------


def _operations(schema: dict) -> dict[str, tuple[str, dict]]:
    return {
        operation["operationId"]: (path, operation)
        for path, methods in schema["paths"].items()
        for operation in methods.values()
        if isinstance(operation, dict) and "operationId" in operation
    }


def test_project_schema__every_declared_link__joins_two_operations_of_the_schema(project_schema):
    operations = _operations(project_schema)
    declared = {**openapi_links._LINKS}
    for key, targets in openapi_links._BODY_LINKS.items():
        declared[key] = {**declared.get(key, {}), **targets}

    for (source, status), targets in declared.items():
        assert source in operations, source
        links = operations[source][1]["responses"][status]["links"]
        assert {link["operationId"] for link in links.values()} == set(targets), source
        for target in targets:
            assert target in operations, target


def test_project_schema__link_parameters__name_the_targets_path_parameters(project_schema):
    operations = _operations(project_schema)
    for source, (_, operation) in operations.items():
        for response in operation["responses"].values():
            for link in response.get("links", {}).values():
                path = operations[link["operationId"]][0]
                for name in link.get("parameters", {}):
                    if "." not in name and name != "against":
                        assert "{" + name + "}" in path, (source, link["operationId"], name)


def test_project_schema__namespace_creation__links_to_its_environments(project_schema):
    responses = project_schema["paths"]["/api/v1/namespaces/"]["post"]["responses"]

    link = responses["201"]["links"]["NamespacesEnvironmentsCreate"]

    assert link == {"operationId": "namespaces_environments_create", "parameters": {"ns": "$response.body#/slug"}}
