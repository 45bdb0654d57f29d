"""Cross-cutting response headers: security headers, CSP by area, CORS allow-list, throttling by client ip."""

import pytest

from config.settings.security import CSP_API, CSP_PAGES

ORIGIN = "https://app.example"


@pytest.mark.parametrize("path", ["/health", "/api/v1/schema/", "/api/v1/no-such-thing/", "/admin/login/"])
def test_security_headers__every_area__nosniff_frame_deny_referrer_policy(client, path):
    response = client.get(path)

    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_hsts__secure_request__is_sent(client, settings):
    response = client.get("/health", secure=True)

    assert response["Strict-Transport-Security"] == f"max-age={settings.SECURE_HSTS_SECONDS}; includeSubDomains"
    assert settings.SECURE_HSTS_SECONDS >= 31536000


def test_hsts__plain_http_request__is_not_sent(client):
    assert "Strict-Transport-Security" not in client.get("/health")


def test_hsts__behind_trusted_proxy_saying_https__is_sent(client, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = client.get("/health", HTTP_X_FORWARDED_PROTO="https")

    assert "Strict-Transport-Security" in response


@pytest.mark.parametrize("path", ["/health", "/api/v1/schema/", "/api/v1/no-such-thing/"])
def test_csp__api_and_probes__are_strict(client, path):
    policy = client.get(path)["Content-Security-Policy"]

    assert policy == CSP_API
    assert "default-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy


@pytest.mark.parametrize("path", ["/api/v1/docs/", "/api/v1/redoc/", "/admin/login/"])
def test_csp__docs_and_admin__allow_own_assets_only(client, path):
    policy = client.get(path)["Content-Security-Policy"]

    assert policy == CSP_PAGES
    directives = dict(item.strip().split(" ", 1) for item in policy.split(";"))
    assert directives["script-src"] == "'self'"  # no inline or remote scripts
    assert "http" not in policy  # no CDN


def test_cors__allowed_origin__gets_access_control_headers(client, settings):
    settings.CORS_ALLOWED_ORIGINS = [ORIGIN]
    response = client.get("/api/v1/schema/", HTTP_ORIGIN=ORIGIN)

    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert "X-Request-ID" in response["Access-Control-Expose-Headers"]


def test_cors__preflight_from_allowed_origin__allows_auth_and_conditional_headers(client, settings):
    settings.CORS_ALLOWED_ORIGINS = [ORIGIN]
    response = client.options(
        "/api/v1/schema/",
        HTTP_ORIGIN=ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="PUT",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, if-match, content-type",
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    allowed = response["Access-Control-Allow-Headers"]
    assert {"authorization", "if-match", "content-type"} <= {header.strip() for header in allowed.split(",")}


@pytest.mark.parametrize("origin", ["https://evil.example", "https://app.example.evil", "null"])
def test_cors__other_origin__gets_no_access_control_headers(client, settings, origin):
    settings.CORS_ALLOWED_ORIGINS = [ORIGIN]
    response = client.get("/api/v1/schema/", HTTP_ORIGIN=origin)

    assert "Access-Control-Allow-Origin" not in response


def test_cors__nothing_configured__allows_no_origin(client):
    assert "Access-Control-Allow-Origin" not in client.get("/api/v1/schema/", HTTP_ORIGIN=ORIGIN)


def test_cors__outside_api__is_never_applied(client, settings):
    settings.CORS_ALLOWED_ORIGINS = [ORIGIN]

    assert "Access-Control-Allow-Origin" not in client.get("/health", HTTP_ORIGIN=ORIGIN)


@pytest.mark.urls("tests.core.urls")
def test_throttle__spoofed_forwarded_for__does_not_buy_a_new_bucket(core_client):
    assert core_client.get("/api/v1/throttled/", HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 200

    response = core_client.get("/api/v1/throttled/", HTTP_X_FORWARDED_FOR="198.51.100.2")

    assert response.status_code == 429
    assert response.json()["code"] == "throttled"


@pytest.mark.urls("tests.core.urls")
def test_throttle__clients_behind_trusted_proxy__are_counted_apart(core_client, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]

    first = core_client.get("/api/v1/throttled/", HTTP_X_FORWARDED_FOR="198.51.100.1")
    second = core_client.get("/api/v1/throttled/", HTTP_X_FORWARDED_FOR="198.51.100.2")
    again = core_client.get("/api/v1/throttled/", HTTP_X_FORWARDED_FOR="198.51.100.1")

    assert (first.status_code, second.status_code, again.status_code) == (200, 200, 429)


@pytest.mark.urls("tests.core.urls")
def test_throttle__cache_unreachable__lets_requests_through(core_client, monkeypatch):
    from django_redis.exceptions import ConnectionInterrupted
    from redis.exceptions import ConnectionError as RedisConnectionError

    def unreachable(*args, **kwargs):
        raise ConnectionInterrupted(connection=None) from RedisConnectionError("down")

    monkeypatch.setattr("core.throttles.window_hit", unreachable)

    statuses = [core_client.get("/api/v1/throttled/").status_code for _ in range(3)]

    assert statuses == [200, 200, 200]


@pytest.mark.django_db
def test_content_length__304_and_204__not_sent_200__sent(user_client, user):
    from tests.downloads.factories import make_file

    url = f"/api/v1/files/{make_file(owner=user, content=b'twelve bytes').pk}/"
    ok = user_client.get(f"{url}content/")
    not_modified = user_client.get(f"{url}content/", HTTP_IF_NONE_MATCH=ok["ETag"])
    no_content = user_client.delete(url)

    assert (ok.status_code, ok["Content-Length"]) == (200, "12")
    assert not_modified.status_code == 304 and not not_modified.has_header("Content-Length")
    assert no_content.status_code == 204 and not no_content.has_header("Content-Length")
