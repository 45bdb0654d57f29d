"""Every endpoint requires the authentication API.md documents: walked from the URLconf, not listed by hand."""

import pytest
from django.conf import settings

from tests.security.endpoints import api_endpoints

ENDPOINTS = api_endpoints()
PROTECTED = [endpoint for endpoint in ENDPOINTS if not endpoint.public]
PUBLIC = [endpoint for endpoint in ENDPOINTS if endpoint.public]


def _anonymous(client, endpoint, **headers):
    return client.generic(endpoint.method, endpoint.path, **headers)


def test_url_walk__finds_the_public_endpoints():
    routes = {endpoint.route for endpoint in ENDPOINTS}
    assert {"health", "ready", "metrics", "api/v1/schema/"} <= routes


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", PROTECTED, ids=str)
def test_protected_endpoint__anonymous__returns_401_problem(client, endpoint):
    response = _anonymous(client, endpoint)

    assert response.status_code == 401, f"{endpoint} answered {response.status_code} to an anonymous caller"
    assert response.has_header("WWW-Authenticate")
    assert response["Content-Type"].startswith("application/problem+json")
    if endpoint.method != "HEAD":  # HEAD: the headers of the problem, no body
        assert response.json()["code"] in {"not_authenticated", "authentication_failed"}


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", PROTECTED, ids=str)
def test_protected_endpoint__garbage_bearer_token__returns_401(client, endpoint):
    response = _anonymous(client, endpoint, HTTP_AUTHORIZATION="Bearer not.a.jwt")

    assert response.status_code == 401, f"{endpoint} accepted a forged bearer token ({response.status_code})"
    if endpoint.method != "HEAD":  # HEAD: the headers of the problem, no body
        assert response.json()["code"] == "token_not_valid"


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", PROTECTED, ids=str)
def test_protected_endpoint__token_signed_with_another_key__returns_401(client, endpoint, user):
    import jwt

    forged = jwt.encode(
        {"token_type": "access", "user_id": str(user.pk), "exp": 4102444800, "jti": "forged"},
        "not-" + settings.SECRET_KEY,
        algorithm="HS256",
    )
    response = _anonymous(client, endpoint, HTTP_AUTHORIZATION=f"Bearer {forged}")

    assert response.status_code == 401, f"{endpoint} accepted a token signed with another key"
    if endpoint.method != "HEAD":  # HEAD: the headers of the problem, no body
        assert response.json()["code"] == "token_not_valid"


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", PUBLIC, ids=str)
def test_public_endpoint__anonymous__is_not_asked_for_credentials(client, endpoint):
    response = _anonymous(client, endpoint)

    assert response.status_code != 401, f"{endpoint} is public by contract but asked for credentials"
    assert response.status_code < 500
