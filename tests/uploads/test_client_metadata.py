"""tus `filetype` and `filename` are a client's claims: invalid ones never reach a header (issue 12, item 9)."""

import pytest

from downloads.models import File
from tests.downloads.conftest import body_of
from tests.uploads.factories import LIST_URL, OFFSET_STREAM, TUS, metadata_header
from uploads.models import Upload

pytestmark = pytest.mark.django_db


def _upload(client, body: bytes, **metadata: str) -> File:
    response = client.post(
        LIST_URL,
        body,
        content_type=OFFSET_STREAM,
        HTTP_UPLOAD_LENGTH=str(len(body)),
        HTTP_UPLOAD_METADATA=metadata_header(**metadata),
        **TUS,
    )
    assert response.status_code == 201, response.content
    return File.objects.get(pk=response["Upload-File-Id"])


def test_create__filetype_with_crlf__ignored_and_bytes_sniffed(user_client):
    file = _upload(user_client, b"%PDF-1.4 body", filename="a.pdf", filetype="text/html\r\nSet-Cookie: x=1")

    assert Upload.objects.get().content_type == ""
    assert file.content_type == "application/pdf"


def test_create__valid_filetype__kept(user_client):
    file = _upload(user_client, b"plain words", filename="a.txt", filetype="Text/Markdown")

    assert file.content_type == "text/markdown"


def test_content__name_and_type_with_crlf__served_200_with_clean_headers(user_client):
    file = _upload(user_client, b"0123456789", filename="evil\r\nX-Injected: 1.txt", filetype="a\r\nb/c")

    whole = user_client.get(f"/api/v1/files/{file.pk}/content/")
    ranges = user_client.get(f"/api/v1/files/{file.pk}/content/", HTTP_RANGE="bytes=0-1,4-5")

    assert whole.status_code == 200
    assert "X-Injected" not in whole
    assert whole["Content-Disposition"] == "attachment; filename*=UTF-8''evilX-Injected%3A%201.txt"
    assert body_of(whole) == b"0123456789"
    assert ranges.status_code == 206
    assert b"X-Injected" not in body_of(ranges)
