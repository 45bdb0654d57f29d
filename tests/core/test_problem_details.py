import pytest


@pytest.mark.django_db
def test_unknown_api_route__returns_problem_json_404(client):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404
    assert body["code"] == "not_found"
    assert body["request_id"] == response["X-Request-ID"]


def test_request_id__sane_client_value__is_echoed(client):
    response = client.get("/health", HTTP_X_REQUEST_ID="abc-123.X_y")
    assert response["X-Request-ID"] == "abc-123.X_y"


@pytest.mark.parametrize("bad", ["has space", "x" * 129, "semi;colon", ""])
def test_request_id__insane_client_value__is_replaced_by_uuid(client, bad):
    response = client.get("/health", HTTP_X_REQUEST_ID=bad)
    assert response["X-Request-ID"] != bad
    assert len(response["X-Request-ID"]) == 36


def test_security_headers__api_response__carries_strict_csp_and_nosniff(client):
    response = client.get("/health")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert "default-src 'none'" in response["Content-Security-Policy"]
