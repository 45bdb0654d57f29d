"""Every rule of API.md *Serving bytes*, table-driven, against all three byte endpoints."""

from __future__ import annotations

import base64
import email
import hashlib
import os

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import RequestFactory
from django.utils.http import http_date

from downloads.services import link_create
from downloads.serving import content_disposition, parse_range
from tests.downloads.conftest import CONTENT, body_of
from tests.downloads.factories import make_file

pytestmark = pytest.mark.django_db

SIZE = len(CONTENT)
ETAG = '"' + hashlib.sha256(CONTENT).hexdigest() + '"'
DIGEST = "sha-256=:" + base64.b64encode(hashlib.sha256(CONTENT).digest()).decode() + ":"


def _dates(file) -> dict[str, str]:
    modified = int(file.modified_at.timestamp())
    return {"LM": http_date(modified), "PAST": http_date(modified - 3600), "FUTURE": http_date(modified + 3600)}


# (case, request headers, status, expected body or None, expected Content-Range or None)
# Header values "ETAG", "LM", "PAST", "FUTURE" are replaced by the file's validators.
CASES = [
    ("plain", {}, 200, CONTENT, None),
    ("range first-last", {"Range": "bytes=0-99"}, 206, CONTENT[:100], f"bytes 0-99/{SIZE}"),
    ("range first-", {"Range": "bytes=900-"}, 206, CONTENT[900:], f"bytes 900-{SIZE - 1}/{SIZE}"),
    ("suffix range", {"Range": "bytes=-28"}, 206, CONTENT[-28:], f"bytes {SIZE - 28}-{SIZE - 1}/{SIZE}"),
    ("suffix longer than file", {"Range": "bytes=-5000"}, 206, CONTENT, f"bytes 0-{SIZE - 1}/{SIZE}"),
    ("last past the end", {"Range": "bytes=920-5000"}, 206, CONTENT[920:], f"bytes 920-{SIZE - 1}/{SIZE}"),
    ("spaces tolerated", {"Range": "bytes= 1-2 "}, 206, CONTENT[1:3], f"bytes 1-2/{SIZE}"),
    ("one of two satisfiable", {"Range": "bytes=5000-,0-1"}, 206, CONTENT[:2], f"bytes 0-1/{SIZE}"),
    ("unsatisfiable start", {"Range": f"bytes={SIZE}-"}, 416, None, f"bytes */{SIZE}"),
    ("unsatisfiable suffix -0", {"Range": "bytes=-0"}, 416, None, f"bytes */{SIZE}"),
    ("invalid syntax ignored", {"Range": "bytes=abc"}, 200, CONTENT, None),
    ("other unit ignored", {"Range": "items=0-1"}, 200, CONTENT, None),
    ("last before first ignored", {"Range": "bytes=5-2"}, 200, CONTENT, None),
    ("empty range set ignored", {"Range": "bytes="}, 200, CONTENT, None),
    ("17 ranges ignored", {"Range": "bytes=" + ",".join(f"{i}-{i}" for i in range(17))}, 200, CONTENT, None),
    ("ranges beyond size ignored", {"Range": "bytes=0-899,0-899"}, 200, CONTENT, None),
    ("if-range etag matches", {"Range": "bytes=0-9", "If-Range": "ETAG"}, 206, CONTENT[:10], f"bytes 0-9/{SIZE}"),
    ("if-range etag differs", {"Range": "bytes=0-9", "If-Range": '"other"'}, 200, CONTENT, None),
    ("if-range weak etag never matches", {"Range": "bytes=0-9", "If-Range": "W/ETAG"}, 200, CONTENT, None),
    ("if-range date matches", {"Range": "bytes=0-9", "If-Range": "LM"}, 206, CONTENT[:10], f"bytes 0-9/{SIZE}"),
    ("if-range date differs", {"Range": "bytes=0-9", "If-Range": "PAST"}, 200, CONTENT, None),
    ("if-range garbage", {"Range": "bytes=0-9", "If-Range": "yesterday"}, 200, CONTENT, None),
    ("if-none-match matches", {"If-None-Match": "ETAG"}, 304, b"", None),
    ("if-none-match weak comparison", {"If-None-Match": '"x", W/ETAG'}, 304, b"", None),
    ("if-none-match star", {"If-None-Match": "*"}, 304, b"", None),
    ("if-none-match differs", {"If-None-Match": '"other"'}, 200, CONTENT, None),
    ("if-match matches", {"If-Match": "ETAG"}, 200, CONTENT, None),
    ("if-match star", {"If-Match": "*"}, 200, CONTENT, None),
    ("if-match differs", {"If-Match": '"other"'}, 412, None, None),
    ("if-match weak never matches", {"If-Match": "W/ETAG"}, 412, None, None),
    ("if-modified-since not modified", {"If-Modified-Since": "LM"}, 304, b"", None),
    ("if-modified-since modified", {"If-Modified-Since": "PAST"}, 200, CONTENT, None),
    ("if-unmodified-since passes", {"If-Unmodified-Since": "FUTURE"}, 200, CONTENT, None),
    ("if-unmodified-since fails", {"If-Unmodified-Since": "PAST"}, 412, None, None),
    ("if-match before if-none-match", {"If-Match": '"other"', "If-None-Match": "ETAG"}, 412, None, None),
    ("if-match overrides if-unmodified-since", {"If-Match": "ETAG", "If-Unmodified-Since": "PAST"}, 200, CONTENT, None),
    (
        "if-none-match overrides if-modified-since",
        {"If-None-Match": '"x"', "If-Modified-Since": "FUTURE"},
        200,
        CONTENT,
        None,
    ),
    (
        "if-unmodified-since before if-none-match",
        {"If-Unmodified-Since": "PAST", "If-None-Match": "ETAG"},
        412,
        None,
        None,
    ),
    ("conditions before range", {"If-None-Match": "ETAG", "Range": "bytes=0-1"}, 304, b"", None),
    ("if-match then range", {"If-Match": "ETAG", "Range": "bytes=0-1"}, 206, CONTENT[:2], f"bytes 0-1/{SIZE}"),
]


def _resolve(headers: dict[str, str], file) -> dict[str, str]:
    dates = _dates(file)
    return {name: dates.get(value, value.replace("ETAG", ETAG)) for name, value in headers.items()}


@pytest.mark.parametrize(("case", "headers", "status", "body", "content_range"), CASES, ids=[c[0] for c in CASES])
def test_serving_rule(byte_endpoint, stored_file, case, headers, status, body, content_range):
    response = byte_endpoint.fetch(**_resolve(headers, stored_file))

    assert response.status_code == status, case
    assert response["ETag"] == ETAG if status in (200, 206, 304) else True
    if body is not None:
        assert body_of(response) == body
    if content_range is not None:
        assert response["Content-Range"] == content_range
    if status in (412, 416):
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["status"] == status
    if status in (200, 206):
        assert response["Content-Length"] == str(len(body))
        assert response["Accept-Ranges"] == "bytes"
        assert response["Repr-Digest"] == DIGEST
        assert response["Last-Modified"] == _dates(stored_file)["LM"]
        assert response["Content-Disposition"] == "attachment; filename*=UTF-8''donn%C3%A9es%201.bin"
        assert response["Content-Type"] == "application/octet-stream"


@pytest.mark.parametrize(("case", "headers", "status", "body", "content_range"), CASES, ids=[c[0] for c in CASES])
def test_serving_rule__head__same_headers_no_body(
    byte_endpoint, stored_file, case, headers, status, body, content_range
):
    headers = _resolve(headers, stored_file)
    get = byte_endpoint.fetch(**headers)
    body_of(get)

    head = byte_endpoint.fetch("head", **headers)

    assert head.status_code == get.status_code
    assert body_of(head) == b""
    for name in ("Content-Length", "Content-Range", "ETag", "Last-Modified", "Repr-Digest", "Content-Disposition"):
        assert head.get(name) == get.get(name), name
    if not get.get("Content-Type", "").startswith("multipart/byteranges"):  # a new boundary each time
        assert head.get("Content-Type") == get.get("Content-Type")


def test_serving__several_ranges__multipart_byteranges(byte_endpoint):
    response = byte_endpoint.fetch(Range="bytes=0-9,-5,100-199")

    assert response.status_code == 206
    content_type = response["Content-Type"]
    assert content_type.startswith("multipart/byteranges; boundary=")
    body = body_of(response)
    assert int(response["Content-Length"]) == len(body)
    message = email.message_from_bytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    parts = [(part["Content-Range"], part.get_payload(decode=True)) for part in message.get_payload()]
    assert parts == [
        (f"bytes 0-9/{SIZE}", CONTENT[:10]),
        (f"bytes {SIZE - 5}-{SIZE - 1}/{SIZE}", CONTENT[-5:]),
        (f"bytes 100-199/{SIZE}", CONTENT[100:200]),
    ]
    assert all(part.get_content_type() == "application/octet-stream" for part in message.get_payload())


def test_serving__empty_file__range_ignored(endpoint_of, user):
    endpoint = endpoint_of(make_file(owner=user, content=b"", name="empty"))

    response = endpoint.fetch(Range="bytes=0-10")

    assert response.status_code == 200
    assert response["Content-Length"] == "0"
    assert body_of(response) == b""


def test_serving__whatever_accept__sends_the_bytes(byte_endpoint):
    response = byte_endpoint.fetch(Accept="image/png")

    assert response.status_code == 200
    assert body_of(response) == CONTENT


def test_serving__304__carries_validators_not_body(byte_endpoint):
    response = byte_endpoint.fetch(If_None_Match=ETAG)

    assert response.status_code == 304
    assert response["ETag"] == ETAG
    assert "Content-Disposition" not in response


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-0", [(0, 0)]),
        ("bytes=0-", [(0, 9)]),
        ("bytes=-3", [(7, 9)]),
        ("bytes=8-20", [(8, 9)]),
        ("bytes=10-", []),
        ("bytes=-0", []),
        ("BYTES=1-1", [(1, 1)]),
        ("bytes=1-1,,3-3", [(1, 1), (3, 3)]),
        ("bytes=1", None),
        ("bytes=1-2-3", None),
        ("bytes=-", None),
        ("bytes=٣-4", None),
        ("bytes 1-2", None),
    ],
)
def test_parse_range(header, expected):
    assert parse_range(header, 10) == expected


def test_content_disposition__quotes_everything_outside_attr_chars():
    assert content_disposition('a "b";\r\n/é.txt') == "attachment; filename*=UTF-8''a%20%22b%22%3B%0D%0A%2F%C3%A9.txt"


def test_serving__accel_redirect_prefix__nginx_sends_the_bytes(byte_endpoint, stored_file, settings):
    settings.FILES_ACCEL_REDIRECT_PREFIX = "/protected/"

    response = byte_endpoint.fetch(Range="bytes=0-1")

    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == "/protected/" + stored_file.storage_name
    assert response["ETag"] == ETAG
    assert body_of(response) == b""


def test_serving__accel_redirect__conditionals_still_apply(byte_endpoint, settings):
    settings.FILES_ACCEL_REDIRECT_PREFIX = "/protected/"

    response = byte_endpoint.fetch(If_Match='"other"')

    assert response.status_code == 412
    assert response.json()["code"] == "precondition_failed"


def test_serving__wsgi_file_wrapper_gets_local_file_at_range_start_with_exact_length(stored_file):
    """What gunicorn's sendfile needs: a real descriptor at the range start and an exact Content-Length."""
    _, token = link_create(file=stored_file, expires_in=60)
    environ = RequestFactory().get(f"/api/v1/d/{token}/", HTTP_RANGE="bytes=100-199").environ
    wrapped = {}

    def file_wrapper(filelike, block_size):
        wrapped["offset"] = os.lseek(filelike.fileno(), 0, os.SEEK_CUR)
        wrapped["filelike"] = filelike
        return iter(())

    environ["wsgi.file_wrapper"] = file_wrapper
    headers = {}
    # As Django's test client does: keep the test's database connection open across the request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        WSGIHandler()(environ, lambda status, items: headers.update(items, status=status))
        body = wrapped["filelike"].read()
        wrapped["filelike"].close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)

    assert headers["status"].startswith("206")
    assert wrapped["offset"] == 100
    assert headers["Content-Length"] == "100"
    assert body == CONTENT[100:200]  # bounded too when read instead of sendfile'd
