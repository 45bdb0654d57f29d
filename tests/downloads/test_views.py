"""The files and downloads API through HTTP: uploads, ownership, replace, links, downloads."""

from __future__ import annotations

import errno
import hashlib
import io
import os
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditEvent
from core.errors import PreconditionFailedError
from downloads.blobs import files_storage
from downloads.models import Download, DownloadStatus, File, FileLink
from downloads.services import blob_write_stream, file_replace_content
from tests.downloads.conftest import CONTENT, body_of
from tests.downloads.factories import make_download, make_file

pytestmark = pytest.mark.django_db


def _blobs(settings) -> list[str]:
    root = os.path.join(settings.MEDIA_ROOT, "blobs")
    return [name for _, _, names in os.walk(root) for name in names]


def _upload(client, content: bytes, name: str = "report.pdf", **extra):
    upload = io.BytesIO(content)
    upload.name = name
    return client.post("/api/v1/files/", {"file": upload, **extra}, format="multipart")


def test_file_upload__multipart__201_stored_hashed_sniffed(user_client, user, settings):
    content = b"%PDF-1.4\n" + os.urandom(3000)

    response = _upload(user_client, content, name="../../etc/Quarterly report.pdf")

    assert response.status_code == 201
    body = response.json()
    assert set(body) >= {"id", "name", "size", "content_type", "sha256", "created_at"}
    assert body["name"] == "Quarterly report.pdf"
    assert body["size"] == len(content)
    assert body["sha256"] == hashlib.sha256(content).hexdigest()
    assert body["content_type"] == "application/pdf"
    file = File.objects.get(pk=body["id"])
    assert file.owner == user
    with files_storage().open(file.storage_name) as blob:
        assert blob.read() == content
    assert AuditEvent.objects.filter(action="file.uploaded", target_id=str(file.pk)).exists()


def test_file_upload__content_type_from_bytes_not_from_client(user_client):
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 100
    upload = io.BytesIO(png)
    upload.name = "picture.txt"

    response = user_client.post("/api/v1/files/", {"file": upload}, format="multipart")

    assert response.status_code == 201
    assert response.json()["content_type"] == "image/png"


def test_file_upload__over_max_upload_size__413_nothing_left(user_client, settings):
    settings.MAX_UPLOAD_SIZE = 100

    response = _upload(user_client, b"x" * 101)

    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert response["Content-Type"] == "application/problem+json"
    assert not File.objects.exists()
    assert _blobs(settings) == []


def test_file_upload__over_size_inside_body__413_nothing_left(user_client, settings):
    # The body's declared length fits the framing allowance, the file itself does not.
    settings.MAX_UPLOAD_SIZE = 1000

    response = _upload(user_client, b"x" * 1001)

    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert not File.objects.exists()
    assert _blobs(settings) == []


def test_file_upload__over_quota__413_quota_exceeded(user_client, settings):
    settings.FILES_USER_QUOTA = 10

    response = _upload(user_client, b"x" * 11)

    assert response.status_code == 413
    assert response.json()["code"] == "quota_exceeded"
    assert _blobs(settings) == []


def test_file_upload__json__415(user_client):
    response = user_client.post("/api/v1/files/", {"file": "x"}, format="json")

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_file_upload__no_file_field__400_nothing_left(user_client, settings):
    response = user_client.post("/api/v1/files/", {"name": "x"}, format="multipart")

    assert response.status_code == 400
    assert response.json()["code"] == "unknown_field"
    assert not File.objects.exists()


def test_file_upload__unknown_field__400_and_blob_deleted(user_client, settings):
    response = _upload(user_client, b"abc", extra="1")

    assert response.status_code == 400
    assert response.json()["code"] == "unknown_field"
    assert not File.objects.exists()
    assert _blobs(settings) == []


def test_file_upload__anonymous__401(api_client):
    response = _upload(api_client, b"abc")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_file_list__only_own_files(user_client, user, other_user):
    mine = make_file(owner=user)
    make_file(owner=other_user)

    response = user_client.get("/api/v1/files/")

    assert response.status_code == 200
    assert [item["id"] for item in response.json()["results"]] == [str(mine.pk)]


def test_file_list__admin_sees_all(admin_client_api, user, other_user):
    make_file(owner=user)
    make_file(owner=other_user)

    assert admin_client_api.get("/api/v1/files/").json()["count"] == 2


def test_file_list__query_count_independent_of_rows(user_client, user, django_assert_num_queries):
    make_file(owner=user)
    user_client.get("/api/v1/files/")  # the forced user object caches its permissions on first use
    with CaptureQueriesContext(connection) as one:
        user_client.get("/api/v1/files/")
    for _ in range(3):
        make_file(owner=user)

    with django_assert_num_queries(len(one.captured_queries)):
        assert user_client.get("/api/v1/files/").json()["count"] == 4


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("get", ""), ("delete", ""), ("get", "content/"), ("head", "content/"), ("put", "content/"), ("post", "links/")],
)
def test_file__of_another_user__404(other_client, user, method, suffix):
    file = make_file(owner=user)

    response = getattr(other_client, method)(f"/api/v1/files/{file.pk}/{suffix}")

    assert response.status_code == 404
    if method != "head":  # HEAD: the headers of the problem, no body
        assert response.json()["code"] == "not_found"
    assert File.objects.filter(pk=file.pk).exists()


def test_file_delete__removes_row_blob_links_downloads_and_audits(
    user_client, user, django_capture_on_commit_callbacks
):
    file = make_file(owner=user)
    make_download(file=file)
    blob = file.storage_name

    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.delete(f"/api/v1/files/{file.pk}/")

    assert response.status_code == 204
    assert not File.objects.exists()
    assert not Download.objects.exists()
    assert not files_storage().exists(blob)
    assert AuditEvent.objects.filter(action="file.deleted", target_id=str(file.pk)).exists()


def test_file_delete__admin_deletes_any(admin_client_api, user):
    file = make_file(owner=user)

    assert admin_client_api.delete(f"/api/v1/files/{file.pk}/").status_code == 204


def test_file_replace__new_sha_etag_stale_downloads_dead_links(user_client, user, django_capture_on_commit_callbacks):
    file = make_file(owner=user, content=CONTENT)
    download = make_download(file=file)
    link_response = user_client.post(f"/api/v1/files/{file.pk}/links/", {"expires_in": 60}, format="json")
    old_blob = file.storage_name

    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.put(
            f"/api/v1/files/{file.pk}/content/", b"new content", content_type="application/octet-stream"
        )

    assert response.status_code == 200
    assert response.json()["sha256"] == hashlib.sha256(b"new content").hexdigest()
    assert response.json()["etag"] == '"' + hashlib.sha256(b"new content").hexdigest() + '"'
    download.refresh_from_db()
    assert download.status == DownloadStatus.STALE
    assert not files_storage().exists(old_blob)
    refused = APIClient().get(link_response.json()["url"])
    assert refused.status_code == 410
    assert refused.json()["code"] == "link_revoked"
    old_etag = '"' + hashlib.sha256(CONTENT).hexdigest() + '"'
    resumed = user_client.get(
        f"/api/v1/downloads/{download.pk}/content/", HTTP_IF_MATCH=old_etag, HTTP_RANGE="bytes=10-"
    )
    assert resumed.status_code == 412
    assert resumed.json()["code"] == "download_stale"
    fresh = user_client.get(f"/api/v1/files/{file.pk}/content/")
    assert body_of(fresh) == b"new content"
    assert AuditEvent.objects.filter(action="file.replaced", target_id=str(file.pk)).exists()


def test_file_replace__if_match_old_etag__412_unchanged(user_client, user):
    file = make_file(owner=user, content=b"one")

    response = user_client.put(
        f"/api/v1/files/{file.pk}/content/", b"two", content_type="application/octet-stream", HTTP_IF_MATCH='"nope"'
    )

    assert response.status_code == 412
    assert response.json()["code"] == "precondition_failed"
    file.refresh_from_db()
    assert file.sha256 == hashlib.sha256(b"one").hexdigest()


def test_file_replace__too_large__413_unchanged(user_client, user, settings):
    file = make_file(owner=user, content=b"one")
    settings.MAX_UPLOAD_SIZE = 4

    response = user_client.put(f"/api/v1/files/{file.pk}/content/", b"12345", content_type="application/octet-stream")

    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert _blobs(settings) == [os.path.basename(file.storage_name)]


def test_file_replace__no_content_length__411(user_client, user):
    file = make_file(owner=user)

    response = user_client.generic(
        "PUT", f"/api/v1/files/{file.pk}/content/", b"", content_type="application/octet-stream", CONTENT_LENGTH=""
    )

    assert response.status_code == 411
    assert response.json()["code"] == "length_required"


def test_link_create__201_url_works_without_auth(user_client, user):
    file = make_file(owner=user, content=CONTENT)

    response = user_client.post(f"/api/v1/files/{file.pk}/links/", {"expires_in": 3600}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "url", "token", "expires_at"}
    fetched = APIClient().get(body["url"])
    assert fetched.status_code == 200
    assert body_of(fetched) == CONTENT
    assert body["url"].rstrip("/").rsplit("/", 1)[-1] == body["token"]
    assert body["id"] == str(FileLink.objects.get(file=file).pk)
    event = AuditEvent.objects.get(action="file.link.created")
    assert body["token"] not in str(event.metadata) and body["token"] not in str(event.changes)


@pytest.mark.parametrize(
    ("expires_in", "code"), [(0, "min_value"), (604801, "max_value"), ("soon", "validation_error")]
)
def test_link_create__bad_expiry__400(user_client, user, expires_in, code):
    file = make_file(owner=user)

    response = user_client.post(f"/api/v1/files/{file.pk}/links/", {"expires_in": expires_in}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert [error["field"] for error in response.json()["errors"]] == ["expires_in"]


def test_link__tampered__403(user_client, user):
    file = make_file(owner=user)
    url = user_client.post(f"/api/v1/files/{file.pk}/links/", {"expires_in": 60}, format="json").json()["url"]

    response = APIClient().get(url[:-3] + ("A" if url[-3] != "A" else "B") + url[-2:])

    assert response.status_code == 403
    assert response.json()["code"] == "link_invalid"


def test_link__expired__410(user_client, user):
    file = make_file(owner=user)
    url = user_client.post(f"/api/v1/files/{file.pk}/links/", {"expires_in": 60}, format="json").json()["url"]
    FileLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = APIClient().get(url)

    assert response.status_code == 410
    assert response.json()["code"] == "link_revoked"


def test_link__expiry_in_token_passed__410(user_client, user, monkeypatch):
    file = make_file(owner=user)
    url = user_client.post(f"/api/v1/files/{file.pk}/links/", {"expires_in": 60}, format="json").json()["url"]
    later = timezone.now() + timedelta(seconds=61)
    monkeypatch.setattr("downloads.links.timezone.now", lambda: later)

    response = APIClient().get(url)

    assert response.status_code == 410
    assert response.json()["code"] == "link_expired"


def test_link__file_deleted__revoked(user_client, user):
    file = make_file(owner=user)
    url = user_client.post(f"/api/v1/files/{file.pk}/links/", {"expires_in": 60}, format="json").json()["url"]
    user_client.delete(f"/api/v1/files/{file.pk}/")

    response = APIClient().get(url)
    assert response.status_code == 410
    assert response.json()["code"] == "link_revoked"


def test_download_create__pins_version_and_manifest(user_client, user, settings):
    settings.FILES_CHUNK_SIZE = 256
    file = make_file(owner=user, content=CONTENT)

    response = user_client.post("/api/v1/downloads/", {"file": str(file.pk)}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "pending"
    assert body["etag"] == file.etag
    assert body["size"] == len(CONTENT)
    assert body["sha256"] == file.sha256
    assert body["chunk_size"] == 256
    assert body["chunks"] == [hashlib.sha256(CONTENT[i : i + 256]).hexdigest() for i in range(0, len(CONTENT), 256)]
    assert body["bytes_received"] == 0 and body["next_offset"] == 0
    assert body["content_url"].endswith(f"/api/v1/downloads/{body['id']}/content/")


def test_download_create__other_users_file__404(other_client, user):
    file = make_file(owner=user)

    response = other_client.post("/api/v1/downloads/", {"file": str(file.pk)}, format="json")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert not Download.objects.exists()


def test_download_progress__patch_sets_next_offset(user_client, user):
    download = make_download(owner=user)

    response = user_client.patch(f"/api/v1/downloads/{download.pk}/", {"bytes_received": 5}, format="json")

    assert response.status_code == 200
    assert response.json()["next_offset"] == 5
    assert response.json()["status"] == "in_progress"


def test_download_progress__beyond_size__400_on_bytes_received(user_client, user):
    download = make_download(owner=user)

    response = user_client.patch(f"/api/v1/downloads/{download.pk}/", {"bytes_received": 10**6}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "bytes_received", "code": "beyond_size", "message": "bytes_received is larger than the file."}
    ]
    download.refresh_from_db()
    assert download.bytes_received == 0


def test_download_progress__negative__400_on_bytes_received(user_client, user):
    download = make_download(owner=user)

    response = user_client.patch(f"/api/v1/downloads/{download.pk}/", {"bytes_received": -1}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "min_value"
    assert [error["field"] for error in response.json()["errors"]] == ["bytes_received"]


def _complete(client, download, sha256: str):
    return client.post(f"/api/v1/downloads/{download.pk}/complete/", {"sha256": sha256}, format="json")


def test_download_complete__matching_sha__completed_and_audited(user_client, user):
    download = make_download(owner=user)

    response = _complete(user_client, download, download.sha256)

    assert response.status_code == 200
    assert response.json()["status"] == "completed"
    assert response.json()["bytes_received"] == download.size
    assert AuditEvent.objects.filter(action="download.completed", target_id=str(download.pk)).exists()


def test_download_complete__wrong_sha__409_and_failed(user_client, user):
    download = make_download(owner=user)

    response = _complete(user_client, download, "0" * 64)

    assert response.status_code == 409
    assert response.json()["code"] == "checksum_mismatch"
    download.refresh_from_db()
    assert download.status == DownloadStatus.FAILED


def test_download_complete__stale__409(user_client, user):
    download = make_download(owner=user)
    Download.objects.filter(pk=download.pk).update(status=DownloadStatus.STALE)

    response = _complete(user_client, download, download.sha256)

    assert response.status_code == 409
    assert response.json()["code"] == "download_stale"


def test_download__others__404_admin_sees(other_client, admin_client_api, user):
    download = make_download(owner=user)

    for url in (f"/api/v1/downloads/{download.pk}/", f"/api/v1/downloads/{download.pk}/content/"):
        response = other_client.get(url)
        assert response.status_code == 404, url
        assert response.json()["code"] == "not_found", url
    assert other_client.get("/api/v1/downloads/").json()["count"] == 0
    assert admin_client_api.get(f"/api/v1/downloads/{download.pk}/").status_code == 200


def test_download_delete__204(user_client, user):
    download = make_download(owner=user)

    assert user_client.delete(f"/api/v1/downloads/{download.pk}/").status_code == 204
    assert not Download.objects.exists()


def test_download_list__own_with_progress(user_client, user):
    download = make_download(owner=user)

    response = user_client.get("/api/v1/downloads/")

    assert [item["id"] for item in response.json()["results"]] == [str(download.pk)]


def test_file_replace__if_match_current_etag__200(user_client, user):
    file = make_file(owner=user, content=b"one")

    response = user_client.put(
        f"/api/v1/files/{file.pk}/content/", b"two", content_type="application/octet-stream", HTTP_IF_MATCH=file.etag
    )

    assert response.status_code == 200
    assert response.json()["sha256"] == hashlib.sha256(b"two").hexdigest()


def test_file_replace__replaced_meanwhile__412_and_new_blob_gone(user, settings):
    file = make_file(owner=user, content=b"one")
    writer = blob_write_stream(blocks=[b"two"], max_size=10)

    with pytest.raises(PreconditionFailedError):
        file_replace_content(file=file, writer=writer, expected_sha256="0" * 64)

    assert _blobs(settings) == [os.path.basename(file.storage_name)]


class _FullDisk(io.FileIO):
    def write(self, data):
        raise OSError(errno.ENOSPC, "No space left on device")


def test_file_upload__disk_full__507_problem_nothing_left(user_client, settings, monkeypatch):
    monkeypatch.setattr("downloads.blobs.open", lambda path, mode: _FullDisk(path, mode), raising=False)

    response = _upload(user_client, b"x" * 5000)

    assert response.status_code == 507
    assert response.json()["code"] == "insufficient_storage"
    assert not File.objects.exists()
    assert _blobs(settings) == []


def test_file_replace__disk_full__507_content_unchanged(user_client, user, settings, monkeypatch):
    file = make_file(owner=user, content=b"one")
    monkeypatch.setattr("downloads.blobs.open", lambda path, mode: _FullDisk(path, mode), raising=False)

    response = user_client.put(f"/api/v1/files/{file.pk}/content/", b"two", content_type="application/octet-stream")

    assert response.status_code == 507
    assert response.json()["code"] == "insufficient_storage"
    file.refresh_from_db()
    assert file.sha256 == hashlib.sha256(b"one").hexdigest()
    assert _blobs(settings) == [os.path.basename(file.storage_name)]
