"""Logging: one JSON line per request with the listed fields, and no secret ever reaches the output."""

import io
import json
import logging

import pytest

from core.logging import REDACTED, redact
from tests.core.urls import API_KEY, JWT, PASSWORD, SECRET_FIXTURES


@pytest.fixture
def output():
    """The real console handler (its formatter and filters from settings.LOGGING), writing to a buffer."""
    handler = next(handler for handler in logging.getLogger().handlers if handler.name == "console")
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


def _lines(buffer: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


def test_request_log__one_json_line_per_request_with_the_listed_fields(user_client, user, output):
    response = user_client.get("/api/v1/schema/", HTTP_X_REQUEST_ID="log-me-1", REMOTE_ADDR="198.51.100.7")

    lines = [line for line in _lines(output) if line["logger"] == "app.request"]
    assert len(lines) == 1
    line = lines[0]
    assert {"time", "level", "request_id", "method", "route", "status", "duration_ms", "user_id", "client_ip"} <= set(
        line
    )
    assert line["level"] == "INFO"
    assert line["request_id"] == "log-me-1" == response["X-Request-ID"]
    assert (line["method"], line["route"], line["status"]) == ("GET", "/api/v1/schema/", 200)
    assert line["user_id"] == str(user.pk)
    assert line["client_ip"] == "198.51.100.7"
    assert isinstance(line["duration_ms"], float)


def test_request_log__client_error__is_a_warning_and_unmatched_route_is_named_so(api_client, output):
    api_client.get("/api/v1/nowhere/", off_contract=True)

    line = next(line for line in _lines(output) if line["logger"] == "app.request")
    assert (line["level"], line["route"], line["status"], line["user_id"]) == ("WARNING", "<unmatched>", 404, None)


def test_every_app_log_line__is_json_with_the_request_id(output):
    logging.getLogger("accounts.anything").warning("plain %s", "message")

    assert _lines(output)[-1]["message"] == "plain message"
    assert _lines(output)[-1]["level"] == "WARNING"


@pytest.mark.parametrize(
    "message",
    [
        f"login failed for bob with password={PASSWORD}",
        f'body {{"email": "a@b.c", "password": "{PASSWORD}"}}',
        f"Authorization: Bearer {JWT}",
        f"refresh token {JWT} rotated",
        f"Authorization: Api-Key {API_KEY}",
        f"key {API_KEY} used",
        f"GET /verify?token={PASSWORD.split()[0]}xyz&next=/",
    ],
)
def test_redaction__message__never_holds_the_secret(output, message):
    logging.getLogger("accounts").error(message)

    text = output.getvalue()
    assert REDACTED in text
    for secret in (PASSWORD, JWT, API_KEY, API_KEY[11:], JWT.split(".")[2], f"{PASSWORD.split()[0]}xyz"):
        assert secret not in text


def test_redaction__extra_fields_and_nested_values__are_redacted(output):
    logging.getLogger("accounts").info(
        "login",
        extra={"password": PASSWORD, "payload": {"email": "a@b.c", "new_password": PASSWORD}, "headers": [JWT]},
    )

    text = output.getvalue()
    assert PASSWORD not in text and JWT not in text
    line = _lines(output)[-1]
    assert line["password"] == REDACTED
    assert line["payload"] == {"email": "a@b.c", "new_password": REDACTED}


def test_redaction__traceback__is_redacted(output):
    try:
        raise ValueError(f"cannot decode token={JWT} for {API_KEY}")
    except ValueError:
        logging.getLogger("accounts").exception("failed")

    text = output.getvalue()
    assert "Traceback" in text  # the traceback is kept in the log...
    assert JWT not in text and API_KEY not in text  # ...without the secrets


def test_redaction__api_key_prefix__stays_visible():
    assert redact(f"revoked {API_KEY}") == f"revoked {API_KEY[:11]}{REDACTED}"


@pytest.mark.urls("tests.core.urls")
def test_redaction__real_request_with_credentials_that_fails__leaks_nothing(core_client, output, settings):
    settings.DEBUG = True
    core_client.credentials(HTTP_AUTHORIZATION=f"Bearer {JWT}")
    body = {"name": "x", "password": PASSWORD, "api_key": API_KEY}
    response = core_client.post("/api/v1/leaky/", body, format="json", off_contract=True)

    assert response.status_code == 500
    assert response.json()["code"] == "server_error"

    text = output.getvalue()
    assert "Traceback" in text
    for secret in SECRET_FIXTURES:
        assert secret not in text


# The redaction patterns run over every string of a log record, and an entry write logs the value: a
# pattern that retried from every position of a long run would cost minutes for a megabyte (it did for
# `eyJ` repeated). Anchored patterns scan each run once; the timeout, not a timing assertion, fails a
# regression, and it is generous (a linear pass over 1 MB takes milliseconds).
ADVERSARIAL = {
    "jwt header repeated": "eyJ" * 350_000,
    "jwt header then one long part": "eyJ" + "a" * 1_000_000,
    "jwt parts without the last dot": ("eyJhbGciOiJI." + "a" * 20) * 30_000,
    "api key prefix repeated": "ck_" * 350_000,
    "long word before a secret name": "a" * 1_000_000 + "password",
    "secret names repeated": "password" * 130_000,
    "scheme repeated": "Bearer " * 150_000,
    "link prefix repeated": "/api/v1/d/" * 100_000,
}


@pytest.mark.timeout(20)
@pytest.mark.parametrize("text", ADVERSARIAL.values(), ids=ADVERSARIAL.keys())
def test_redaction__one_megabyte_adversarial_string__finishes_in_linear_time(text):
    assert len(redact(text)) > 0


def test_redaction__every_pattern__starts_at_an_anchor():
    from core.logging import _PATTERNS

    for pattern, _ in _PATTERNS:
        source = pattern.pattern.lstrip()
        assert source.startswith(("(?<![A-Za-z0-9_-])", r"\b", "(/api/", "(?i)\\b", "(?ix)")), source
        if source.startswith("(?ix)"):
            assert r"\b" in source.split("(?:")[0]


def test_redaction__token_inside_a_longer_word__found_from_its_own_start_only():
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"

    assert redact(f"token {token} end") == f"token {REDACTED} end"
    assert redact(f"x={token}") == f"x={REDACTED}"


def test_redaction__text_without_any_secret_marker__returned_unchanged():
    line = "GET /api/v1/namespaces/<cfgslug:ns>/environments/ 200"

    assert redact(line) is line
