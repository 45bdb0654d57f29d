"""The contract check of test responses (tests/support/contract.py), against a test-only URLconf."""

import pytest

from tests.support.contract import ContractAPIClient, ContractChecker, ContractViolation, generate_schema

pytestmark = pytest.mark.urls("tests.contract.urls")


@pytest.fixture(scope="module")
def checker() -> ContractChecker:
    return ContractChecker(generate_schema("tests.contract.urls"))


@pytest.fixture
def client(checker, db) -> ContractAPIClient:
    return ContractAPIClient(checker=checker)


def test_contract_client__documented_response__passes(client):
    response = client.get("/api/v1/widgets/good/")

    assert response.status_code == 200


def test_contract_client__documented_problem__passes(client):
    response = client.get("/api/v1/widgets/conflict/")

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("variant", "message"),
    [
        ("wrong-type", "body.size: 'big' is not of type 'integer'"),
        ("missing-field", "body: 'name' is a required property"),
        ("bad-uuid", "body.id: 'not-a-uuid' is not a 'uuid'"),
        ("write-only-leak", "body: Additional properties are not allowed ('secret' was unexpected)"),
        ("undocumented-status", "status not documented (documented: 200, 404, 409)"),
        ("wrong-media", "Content-Type text/plain is not documented (application/json)"),
    ],
)
def test_contract_client__violating_response__fails_with_readable_message(client, variant, message):
    with pytest.raises(ContractViolation) as failure:
        client.get(f"/api/v1/widgets/{variant}/")

    assert str(failure.value).startswith(f"GET /api/v1/widgets/{variant}/ (operation widgets_retrieve_2, status ")
    assert str(failure.value).endswith(message)


def test_contract_client__undocumented_method__fails(client):
    expected = r"DELETE /api/v1/widgets/good/: /api/v1/widgets/\{variant\}/ documents only GET"
    with pytest.raises(ContractViolation, match=expected):
        client.delete("/api/v1/widgets/good/")


def test_contract_client__unknown_route__fails(client):
    with pytest.raises(ContractViolation, match="GET /api/v1/nowhere/x/y/: no path of the OpenAPI schema matches it"):
        client.get("/api/v1/nowhere/x/y/")


def test_contract_client__off_contract_call__is_not_checked(client):
    response = client.get("/api/v1/nowhere/x/y/", off_contract=True)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert "off_contract" not in response.wsgi_request.META


def test_contract_client__head__is_checked_against_get_without_body(client):
    response = client.head("/api/v1/widgets/good/")

    assert response.status_code == 200
    with pytest.raises(ContractViolation, match="status not documented"):
        client.head("/api/v1/widgets/undocumented-status/")


def test_contract_client__head_on_a_route_without_get__is_not_checked(client):
    response = client.head("/api/v1/widgets/x/guarded/")

    assert response.status_code == 401  # answered by the view; drf-spectacular cannot document HEAD


def test_contract_client__paths_outside_api__are_not_checked(client):
    response = client.get("/health")

    assert response.status_code == 404  # not in this URLconf, and not part of the API contract either


def test_contract_checker__literal_segment__beats_parameter(checker):
    assert checker._operation("/api/v1/widgets/x/guarded/", "POST", "post")[0] == "/api/v1/widgets/{widget_id}/guarded/"
    assert checker._operation("/api/v1/widgets/", "GET", "get")[0] == "/api/v1/widgets/"


def test_contract_checker__validators__are_compiled_once(client, checker):
    client.get("/api/v1/widgets/good/")
    key = ("/api/v1/widgets/{variant}/", "get", "200", "application/json")
    compiled = checker._validators[key]
    client.get("/api/v1/widgets/good/")

    assert checker._validators[key] is compiled
