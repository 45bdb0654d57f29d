"""A method a route does not have is 405 with `Allow`, before authentication (API.md), for every route:
walked from the URLconf, so a route added tomorrow is checked tomorrow."""

from collections import defaultdict

import pytest

from tests.security.endpoints import api_endpoints

_PROBED = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _routes() -> list[tuple[str, str, frozenset[str]]]:
    methods: dict[str, set[str]] = defaultdict(set)
    paths: dict[str, str] = {}
    for endpoint in api_endpoints():
        methods[endpoint.route].add(endpoint.method)
        paths.setdefault(endpoint.route, endpoint.path)
    return [(route, paths[route], frozenset(allowed)) for route, allowed in sorted(methods.items())]


MISSING = [
    pytest.param(path, method, allowed, id=f"{method} /{route}")
    for route, path, allowed in _routes()
    for method in _PROBED
    if method not in allowed and not (method == "POST" and "HEAD" in allowed and route.startswith("api/v1/uploads/"))
]


def test_method_walk__finds_routes_without_some_method():
    assert len(MISSING) > 20


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "method", "allowed"), MISSING)
@pytest.mark.parametrize("authorization", [None, "Bearer not.a.jwt"], ids=["anonymous", "forged_bearer"])
def test_unsupported_method__before_authentication__405_with_allow(client, path, method, allowed, authorization):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}

    response = client.generic(method, path, **headers)

    assert response.status_code == 405, f"{method} {path} answered {response.status_code}"
    allow = {item.strip() for item in response["Allow"].split(",")}
    assert method not in allow
    assert allowed - {"HEAD", "OPTIONS"} <= allow
    if path.startswith("/api/"):
        assert response["Content-Type"].startswith("application/problem+json")
        assert response.json()["code"] == "method_not_allowed"


ROUTES = [pytest.param(path, id=f"OPTIONS /{route}") for route, path, _ in _routes() if route.startswith("api/v1/")]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ROUTES)
def test_options__authenticated__never_a_server_error(admin_user, path):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(admin_user)

    response = client.options(path)

    assert response.status_code < 500, f"OPTIONS {path} answered {response.status_code}"
