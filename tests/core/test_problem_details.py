"""Every error under /api/ is RFC 9457 problem+json with the right status, and no body shows a traceback.

The test-only views of tests/core/urls.py stand in for any API view; their responses are checked against
their own generated schema, so the implied error responses of core.schema are proven real too.
"""

import json

import pytest

PROBLEM = "application/problem+json"
core_urls = pytest.mark.urls("tests.core.urls")


def _problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["request_id"] == response["X-Request-ID"]
    assert {"type", "title", "detail"} <= set(body)
    return body


@core_urls
def test_api__valid_body__is_accepted(core_client):
    response = core_client.post("/api/v1/echo/", {"name": "gear"}, format="json")

    assert response.status_code == 201
    assert response.json() == {"name": "gear"}


@core_urls
def test_api__malformed_json__returns_400_problem(core_client):
    response = core_client.post("/api/v1/echo/", '{"name": "gear"', content_type="application/json")

    body = _problem(response, 400, "parse_error")
    assert body["detail"].startswith("Malformed JSON")


@core_urls
@pytest.mark.parametrize("raw", ["NaN", '{"name": Infinity}', b'{"name": "\xff"}'])
def test_api__non_json_constants_or_bad_utf8__return_400_problem(core_client, raw):
    response = core_client.post("/api/v1/echo/", raw, content_type="application/json")

    _problem(response, 400, "parse_error")


@core_urls
def test_api__json_nested_beyond_the_recursion_limit__returns_400_problem(core_client):
    response = core_client.post("/api/v1/echo/", "[" * 100_000 + "]" * 100_000, content_type="application/json")

    body = _problem(response, 400, "parse_error")
    assert "nested" in body["detail"]


@core_urls
def test_api__unknown_field__returns_400_with_field_errors(core_client):
    response = core_client.post("/api/v1/echo/", {"name": "gear", "admin": True}, format="json")

    body = _problem(response, 400, "unknown_field")
    assert body["errors"] == [{"field": "admin", "code": "unknown_field", "message": "Unknown field."}]


@core_urls
def test_api__nested_invalid_fields__are_flattened_with_dotted_paths(core_client):
    response = core_client.post("/api/v1/echo/", {"name": "x" * 21, "tags": ["ok", "toolong"]}, format="json")

    body = _problem(response, 400, "max_length")
    assert {error["field"] for error in body["errors"]} == {"name", "tags.1"}


@core_urls
@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("name=gear", "application/x-www-form-urlencoded"),
        ("<name>gear</name>", "application/xml"),
        ("gear", "text/plain"),
    ],
)
def test_api__wrong_content_type__returns_415_problem(core_client, body, content_type):
    response = core_client.post("/api/v1/echo/", body, content_type=content_type)

    _problem(response, 415, "unsupported_media_type")


@core_urls
def test_api__oversized_json_body__returns_413_problem(core_client, settings):
    settings.API_MAX_JSON_BODY = 1024
    response = core_client.post("/api/v1/echo/", json.dumps({"name": "x" * 2000}), content_type="application/json")

    _problem(response, 413, "payload_too_large")


@core_urls
def test_api__oversized_form_body_read_by_django__returns_413_problem(client, settings):
    # Django itself refuses a form body over DATA_UPLOAD_MAX_MEMORY_SIZE when a view reads request.POST.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = client.post("/api/plain-form/", "name=" + "x" * 200, content_type="application/x-www-form-urlencoded")

    _problem(response, 413, "payload_too_large")


def test_api__unknown_route__returns_404_problem(api_client):
    response = api_client.get("/api/v1/no-such-thing/", off_contract=True)

    _problem(response, 404, "not_found")


def test_api__unknown_route_outside_the_version__returns_404_problem(api_client):
    response = api_client.post("/api/v2/anything", {"x": 1}, format="json", off_contract=True)

    _problem(response, 404, "not_found")


@core_urls
def test_api__method_not_allowed__returns_405_problem_with_allow(core_client):
    response = core_client.delete("/api/v1/echo/", off_contract=True)

    body = _problem(response, 405, "method_not_allowed")
    assert "POST" in response["Allow"]
    assert "DELETE" in body["detail"] or "delete" in body["detail"].lower()


@core_urls
def test_api__throttled__returns_429_problem_with_retry_after(core_client):
    assert core_client.get("/api/v1/throttled/").status_code == 200

    response = core_client.get("/api/v1/throttled/")

    _problem(response, 429, "throttled")
    assert int(response["Retry-After"]) >= 1


@core_urls
@pytest.mark.parametrize("debug", [False, True])
def test_api__unhandled_exception__returns_500_problem_without_internals(core_client, settings, debug):
    settings.DEBUG = debug
    response = core_client.get("/api/v1/boom/", off_contract=True)

    body = _problem(response, 500, "server_error")
    text = response.content.decode()
    assert "Traceback" not in text
    assert "SELECT" not in text
    assert "RuntimeError" not in text
    assert body["detail"] == "An unexpected error occurred; quote the request id."


@core_urls
def test_api__database_unreachable__returns_503_problem_with_retry_after(core_client):
    response = core_client.get("/api/v1/database-down/", off_contract=True)

    _problem(response, 503, "service_unavailable")
    assert response["Retry-After"]
    assert "10.0.0.5" not in response.content.decode()


@core_urls
@pytest.mark.parametrize("failure", ["redis-down", "redis-timeout", "pool-timeout"])
def test_api__cache_or_pool_unreachable__returns_503_problem(core_client, failure):
    response = core_client.get(f"/api/v1/failing/{failure}/", off_contract=True)

    _problem(response, 503, "service_unavailable")
    assert response["Retry-After"]
    assert "10.0.0.6" not in response.content.decode()


@core_urls
def test_api__disk_full__returns_507_problem(core_client):
    response = core_client.get("/api/v1/failing/disk-full/", off_contract=True)

    _problem(response, 507, "insufficient_storage")
    assert "/srv/media" not in response.content.decode()


@core_urls
@pytest.mark.parametrize("debug", [False, True])
def test_page__unhandled_exception__shows_no_traceback_even_with_debug(client, settings, debug):
    settings.DEBUG = debug
    client.raise_request_exception = False
    response = client.get("/page/boom/")

    assert response.status_code == 500
    text = response.content.decode()
    assert "Traceback" not in text
    assert "internal detail" not in text
    assert "SECRET_KEY" not in text


@pytest.mark.parametrize("accept", ["text/html", "application/json"])
def test_page__refused_host_with_debug__shows_no_traceback(client, settings, accept):
    settings.DEBUG = True
    response = client.get("/health", HTTP_HOST="evil.example", HTTP_ACCEPT=accept)

    assert response.status_code == 400
    text = response.content.decode()
    assert "Traceback" not in text
    assert "DisallowedHost" not in text
    assert response["X-Request-ID"] in text


def test_api__refused_host__returns_400_problem_with_security_headers(client, settings):
    settings.DEBUG = True
    response = client.get("/api/v1/schema/", HTTP_HOST="evil.example")

    _problem(response, 400, "bad_request")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in response["Content-Security-Policy"]


def test_request_id__sane_client_value__is_echoed(client):
    response = client.get("/health", HTTP_X_REQUEST_ID="abc-123.X_y")
    assert response["X-Request-ID"] == "abc-123.X_y"


@pytest.mark.parametrize("bad", ["has space", "x" * 129, "semi;colon", ""])
def test_request_id__insane_client_value__is_replaced_by_uuid(client, bad):
    response = client.get("/health", HTTP_X_REQUEST_ID=bad)
    assert response["X-Request-ID"] != bad
    assert len(response["X-Request-ID"]) == 36


def test_request_id__on_problem_body__matches_header(api_client):
    response = api_client.get("/api/v1/nowhere/", HTTP_X_REQUEST_ID="trace-me-1", off_contract=True)

    assert response.json()["request_id"] == "trace-me-1" == response["X-Request-ID"]
