"""Every response carries the security headers: pages, API, errors, public and authenticated alike."""

import pytest
from django.conf import settings

from tests.security.endpoints import api_endpoints

READS = [endpoint for endpoint in api_endpoints() if endpoint.method == "GET"]

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def assert_security_headers(response, where: str) -> None:
    for header, value in EXPECTED.items():
        assert response.get(header) == value, f"{where}: {header} is {response.get(header)!r}"
    assert "frame-ancestors 'none'" in response.get("Content-Security-Policy", ""), f"{where}: no CSP"
    assert response.get("X-Request-ID"), f"{where}: no X-Request-ID"


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", READS, ids=str)
def test_get__anonymous__carries_security_headers(client, endpoint):
    response = client.get(endpoint.path)

    assert_security_headers(response, f"anonymous {endpoint} -> {response.status_code}")


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", READS, ids=str)
def test_get__as_admin__carries_security_headers(admin_client_api, endpoint):
    response = admin_client_api.get(endpoint.path)

    assert_security_headers(response, f"admin {endpoint} -> {response.status_code}")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/no-such-route/"),
        ("DELETE", "/health"),
        ("GET", "/admin/"),
        ("GET", "/admin/login/"),
        ("GET", "/static/rest_framework/css/default.css"),
        ("GET", "/no-such-page"),
    ],
)
def test_error_and_page_responses__carry_security_headers(client, method, path):
    response = client.generic(method, path)

    assert_security_headers(response, f"{method} {path} -> {response.status_code}")


@pytest.mark.django_db
def test_secure_request__carries_hsts(client):
    response = client.get("/health", secure=True)

    assert response["Strict-Transport-Security"].startswith(f"max-age={settings.SECURE_HSTS_SECONDS}")
