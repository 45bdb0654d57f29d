"""Client-chosen media types and names never reach a response header raw (issue 12, item 9)."""

import pytest

from downloads.blobs import header_content_type, valid_content_type
from downloads.models import File
from tests.downloads.conftest import body_of
from tests.downloads.factories import make_file

pytestmark = pytest.mark.django_db

INJECTED = "text/html\r\nSet-Cookie: stolen=1"


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("text/plain", "text/plain"),
        ("Application/VND.ms-Excel", "application/vnd.ms-excel"),
        ("image/svg+xml", "image/svg+xml"),
        (INJECTED, None),
        ("text/plain\n", "text/plain"),  # surrounding whitespace only: the type itself is sound
        ("text/plain; charset=utf-8", None),
        ("text", None),
        ("", None),
        (None, None),
        ("a/" + "b" * 200, None),
    ],
)
def test_valid_content_type__media_type_syntax_only(value, valid):
    assert valid_content_type(value) == valid


def test_header_content_type__invalid__octet_stream():
    assert header_content_type(INJECTED) == "application/octet-stream"


def _legacy_file(user) -> File:
    """A file whose row holds a media type stored before it was validated."""
    file = make_file(owner=user, content=b"0123456789")
    File.objects.filter(pk=file.pk).update(content_type=INJECTED)
    return File.objects.get(pk=file.pk)


def test_content__stored_type_with_crlf__200_as_octet_stream(user_client, user):
    file = _legacy_file(user)

    response = user_client.get(f"/api/v1/files/{file.pk}/content/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert "Set-Cookie" not in response
    assert body_of(response) == b"0123456789"


def test_content__several_ranges_stored_type_with_crlf__part_headers_are_clean(user_client, user):
    file = _legacy_file(user)

    response = user_client.get(f"/api/v1/files/{file.pk}/content/", HTTP_RANGE="bytes=0-1,4-5")

    assert response.status_code == 206
    body = body_of(response)
    assert b"Content-Type: application/octet-stream\r\nContent-Range: bytes 0-1/10" in body
    assert b"Set-Cookie" not in body


def test_file_create__client_type_invalid__sniffed_instead(user):
    file = make_file(owner=user, content=b"%PDF-1.4 rest", content_type=INJECTED)

    assert file.content_type == "application/pdf"
