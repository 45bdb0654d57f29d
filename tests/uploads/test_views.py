"""The tus endpoints through HTTP: each status code of the protocol, headers, scoping and the file it becomes."""

import errno
import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from downloads.models import File
from tests.uploads.factories import (
    LIST_URL,
    OFFSET_STREAM,
    TUS,
    checksum_header,
    detail_url,
    make_upload,
    metadata_header,
)
from uploads import partials
from uploads.models import Upload

pytestmark = pytest.mark.django_db


def _create(client, length=10, **headers):
    return client.post(LIST_URL, HTTP_UPLOAD_LENGTH=str(length), **{**TUS, **headers})


def _patch(client, upload, body, offset, **headers):
    return client.patch(
        detail_url(upload), body, content_type=OFFSET_STREAM, HTTP_UPLOAD_OFFSET=str(offset), **{**TUS, **headers}
    )


def _head(client, upload, **headers):
    # HEAD is not in the OpenAPI schema (drf-spectacular documents no HEAD operation): off the checked contract.
    return client.head(detail_url(upload), off_contract=True, **{**TUS, **headers})


def test_options__anonymous__advertises_the_server(api_client, settings):
    response = api_client.options(LIST_URL)

    assert response.status_code == 204
    assert response["Tus-Version"] == "1.0.0"
    assert response["Tus-Extension"].split(",") == [
        "creation",
        "creation-with-upload",
        "creation-defer-length",
        "expiration",
        "checksum",
        "termination",
        "concatenation",
    ]
    assert response["Tus-Max-Size"] == str(settings.MAX_UPLOAD_SIZE)
    assert {"sha256", "sha1"} <= set(response["Tus-Checksum-Algorithm"].split(","))


def test_options__garbage_bearer_token__still_204(api_client, user):
    response = api_client.options(f"{LIST_URL}{Upload().pk}", HTTP_AUTHORIZATION="Bearer nonsense")

    assert response.status_code == 204
    assert response["Tus-Version"] == "1.0.0"


def test_create__valid__201_with_location_and_expiry(user_client, user):
    response = _create(user_client, 10, HTTP_UPLOAD_METADATA=metadata_header(filename="a.txt", filetype="text/plain"))

    assert response.status_code == 201
    upload = Upload.objects.get()
    assert response["Location"] == f"http://testserver/api/v1/uploads/{upload.pk}"
    assert response["Tus-Resumable"] == "1.0.0"
    assert response["Upload-Expires"].endswith("GMT")
    assert (upload.owner, upload.length, upload.offset) == (user, 10, 0)
    assert (upload.filename, upload.content_type) == ("a.txt", "text/plain")
    assert AuditEvent.objects.filter(action="upload.created", target_id=str(upload.pk)).exists()


def test_create__anonymous__401_with_tus_resumable(api_client):
    response = _create(api_client)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["Tus-Resumable"] == "1.0.0"


@pytest.mark.parametrize("version", [None, "0.2.2"])
def test_create__missing_or_unsupported_tus_resumable__412_with_tus_version(user_client, version):
    headers = {"HTTP_UPLOAD_LENGTH": "10"} | ({"HTTP_TUS_RESUMABLE": version} if version else {})

    response = user_client.post(LIST_URL, **headers)

    assert response.status_code == 412
    assert response["Tus-Version"] == "1.0.0"
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "tus_version_unsupported"
    assert not Upload.objects.exists()


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "upload_length_required"),
        ({"HTTP_UPLOAD_LENGTH": "-1"}, "upload_length_invalid"),
        ({"HTTP_UPLOAD_LENGTH": "ten"}, "upload_length_invalid"),
        ({"HTTP_UPLOAD_DEFER_LENGTH": "2"}, "upload_defer_length_invalid"),
        ({"HTTP_UPLOAD_DEFER_LENGTH": "1", "HTTP_UPLOAD_LENGTH": "1"}, "upload_defer_length_invalid"),
        ({"HTTP_UPLOAD_CONCAT": "whole"}, "concat_invalid"),
        ({"HTTP_UPLOAD_CONCAT": "final;"}, "concat_invalid"),
        ({"HTTP_UPLOAD_CONCAT": "final;/api/v1/files/"}, "concat_invalid"),
        ({"HTTP_UPLOAD_LENGTH": "1", "HTTP_UPLOAD_METADATA": "filename not-base64!"}, "metadata_invalid"),
        ({"HTTP_UPLOAD_LENGTH": "1", "HTTP_UPLOAD_METADATA": "a YQ==,a YQ=="}, "metadata_invalid"),
        ({"HTTP_UPLOAD_LENGTH": "1", "HTTP_UPLOAD_CHECKSUM": "crc32 AAAA"}, "checksum_algorithm_unsupported"),
    ],
)
def test_create__bad_headers__400(user_client, headers, code):
    response = user_client.post(LIST_URL, **{**TUS, **headers})

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert not Upload.objects.exists()


def test_create__over_max_upload_size__413(user_client, settings):
    settings.MAX_UPLOAD_SIZE = 100

    response = _create(user_client, 101)

    assert response.status_code == 413
    assert response.json()["code"] == "upload_too_large"


def test_create__over_quota_counting_uploads_in_progress__413_quota_exceeded(user_client, user, settings):
    settings.FILES_USER_QUOTA = 100
    make_upload(owner=user, length=60)

    response = _create(user_client, 50)

    assert response.status_code == 413
    assert response.json()["code"] == "quota_exceeded"
    assert Upload.objects.count() == 1


def test_create_with_upload__whole_body__201_and_file_id(user_client, user):
    response = user_client.post(
        LIST_URL,
        b"hello",
        content_type=OFFSET_STREAM,
        HTTP_UPLOAD_LENGTH="5",
        HTTP_UPLOAD_METADATA=metadata_header(filename="hi.txt"),
        HTTP_UPLOAD_CHECKSUM=checksum_header("sha256", b"hello"),
        **TUS,
    )

    assert response.status_code == 201
    assert response["Upload-Offset"] == "5"
    file = File.objects.get(pk=response["Upload-File-Id"])
    assert (file.owner, file.name, file.sha256) == (user, "hi.txt", hashlib.sha256(b"hello").hexdigest())


def test_create_with_upload__first_chunk__201_with_offset(user_client):
    response = user_client.post(LIST_URL, b"abc", content_type=OFFSET_STREAM, HTTP_UPLOAD_LENGTH="10", **TUS)

    assert response.status_code == 201
    assert response["Upload-Offset"] == "3"
    assert "Upload-File-Id" not in response
    assert Upload.objects.get().offset == 3


def test_create_with_upload__body_past_length__413_and_nothing_created(user_client):
    response = user_client.post(LIST_URL, b"abcdef", content_type=OFFSET_STREAM, HTTP_UPLOAD_LENGTH="3", **TUS)

    assert response.status_code == 413
    assert response.json()["code"] == "upload_length_exceeded"
    assert not Upload.objects.exists()


def test_create_with_upload__wrong_content_type__415(user_client):
    response = user_client.post(LIST_URL, b"abc", content_type="text/plain", HTTP_UPLOAD_LENGTH="3", **TUS)

    assert response.status_code == 415
    assert response.json()["code"] == "tus_content_type"
    assert not Upload.objects.exists()


def test_create__empty_upload__completes_at_once(user_client):
    response = _create(user_client, 0)

    assert response.status_code == 201
    assert File.objects.get(pk=response["Upload-File-Id"]).size == 0


def test_head__in_progress__offset_length_no_store(user_client, user):
    upload = make_upload(owner=user, length=10, received=b"abc", metadata={"filename": "a.txt", "flag": None})

    response = _head(user_client, upload)

    assert response.status_code == 200
    assert response["Upload-Offset"] == "3"
    assert response["Upload-Length"] == "10"
    assert response["Cache-Control"] == "no-store"
    assert response["Tus-Resumable"] == "1.0.0"
    assert sorted(response["Upload-Metadata"].split(",")) == ["filename YS50eHQ=", "flag"]
    assert "Upload-File-Id" not in response


def test_head__someone_elses_upload__404(other_client, user):
    upload = make_upload(owner=user)

    assert _head(other_client, upload).status_code == 404


def test_head__missing_tus_resumable__412(user_client, user):
    upload = make_upload(owner=user)

    response = user_client.head(detail_url(upload), off_contract=True)

    assert response.status_code == 412
    assert response["Tus-Version"] == "1.0.0"


def test_head__expired__410_with_upload_expires(user_client, user):
    upload = make_upload(owner=user)
    Upload.objects.filter(pk=upload.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = _head(user_client, upload)

    assert response.status_code == 410
    assert response["Upload-Expires"].endswith("GMT")


def test_patch__appends__204_with_new_offset(user_client, user):
    upload = make_upload(owner=user, length=10, received=b"abc")

    response = _patch(user_client, upload, b"defg", 3)

    assert response.status_code == 204
    assert response["Upload-Offset"] == "7"
    assert response["Upload-Expires"].endswith("GMT")
    assert _head(user_client, upload)["Upload-Offset"] == "7"


def test_patch__last_byte__becomes_a_listed_file(user_client, user):
    upload = make_upload(owner=user, length=6, received=b"abc", metadata={"filename": "x.bin"})

    response = _patch(user_client, upload, b"def", 3)

    assert response.status_code == 204
    file_id = response["Upload-File-Id"]
    file = File.objects.get(pk=file_id)
    assert (file.owner, file.size, file.sha256) == (user, 6, hashlib.sha256(b"abcdef").hexdigest())
    assert _head(user_client, upload)["Upload-File-Id"] == file_id
    assert AuditEvent.objects.filter(action="file.uploaded", target_id=file_id).exists()
    listed = user_client.get("/api/v1/files/").json()["results"]
    assert [(item["id"], item["name"], item["size"]) for item in listed] == [(file_id, "x.bin", 6)]


def test_patch__completed_upload_empty_retry__204_same_file(user_client, user):
    upload = make_upload(owner=user, length=3, received=b"abc")

    response = _patch(user_client, upload, b"", 3)

    assert response.status_code == 204
    assert response["Upload-File-Id"] == str(Upload.objects.get().file_id)
    assert File.objects.count() == 1


def test_patch__offset_mismatch__409_and_nothing_written(user_client, user):
    upload = make_upload(owner=user, length=10, received=b"abc")

    response = _patch(user_client, upload, b"xyz", 2)

    assert response.status_code == 409
    assert response.json()["code"] == "offset_mismatch"
    assert Upload.objects.get().offset == 3


def test_patch__wrong_content_type__415(user_client, user):
    upload = make_upload(owner=user)

    response = user_client.patch(
        detail_url(upload), b"abc", content_type="application/octet-stream", HTTP_UPLOAD_OFFSET="0", **TUS
    )

    assert response.status_code == 415
    assert response.json()["code"] == "tus_content_type"


def test_patch__missing_upload_offset__400(user_client, user):
    upload = make_upload(owner=user)

    response = user_client.patch(detail_url(upload), b"abc", content_type=OFFSET_STREAM, **TUS)

    assert response.status_code == 400
    assert response.json()["code"] == "upload_offset_required"


def test_patch__past_upload_length__413_and_nothing_written(user_client, user):
    upload = make_upload(owner=user, length=4, received=b"ab")

    response = _patch(user_client, upload, b"cde", 2)

    assert response.status_code == 413
    assert response.json()["code"] == "upload_length_exceeded"
    assert Upload.objects.get().offset == 2


def test_patch__after_completion_more_bytes__413(user_client, user):
    upload = make_upload(owner=user, length=2, received=b"ab")

    response = _patch(user_client, upload, b"c", 2)
    assert response.status_code == 413
    assert response.json()["code"] == "upload_length_exceeded"


def test_patch__expired__410(user_client, user):
    upload = make_upload(owner=user)
    Upload.objects.filter(pk=upload.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = _patch(user_client, upload, b"a", 0)

    assert response.status_code == 410
    assert response.json()["code"] == "upload_expired"


def test_patch__someone_elses_upload__404_and_nothing_written(other_client, user):
    upload = make_upload(owner=user)

    response = _patch(other_client, upload, b"abc", 0)
    assert response.status_code == 404
    assert response.json()["code"] == "upload_not_found"
    assert Upload.objects.get().offset == 0


def test_patch__missing_tus_resumable__412(user_client, user):
    upload = make_upload(owner=user)

    response = user_client.patch(detail_url(upload), b"a", content_type=OFFSET_STREAM, HTTP_UPLOAD_OFFSET="0")

    assert response.status_code == 412
    assert response.json()["code"] == "tus_version_unsupported"


@pytest.mark.parametrize("algorithm", ["sha256", "sha1"])
def test_patch__checksum_matches__204(user_client, user, algorithm):
    upload = make_upload(owner=user, length=10)

    response = _patch(user_client, upload, b"abc", 0, HTTP_UPLOAD_CHECKSUM=checksum_header(algorithm, b"abc"))

    assert response.status_code == 204
    assert response["Upload-Offset"] == "3"


def test_patch__checksum_mismatch__460_and_chunk_discarded(user_client, user):
    upload = make_upload(owner=user, length=10, received=b"ab")

    response = _patch(user_client, upload, b"cde", 2, HTTP_UPLOAD_CHECKSUM=checksum_header("sha256", b"xyz"))

    assert response.status_code == 460
    assert response.reason_phrase == "Checksum Mismatch"
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "checksum_mismatch"
    assert response["Tus-Resumable"] == "1.0.0"
    assert Upload.objects.get().offset == 2
    assert _patch(user_client, upload, b"cde", 2).status_code == 204


def test_patch__trailing_slash_form__works(user_client, user):
    upload = make_upload(owner=user, length=10)

    response = user_client.patch(
        f"{detail_url(upload)}/", b"abc", content_type=OFFSET_STREAM, HTTP_UPLOAD_OFFSET="0", off_contract=True, **TUS
    )

    assert response.status_code == 204
    assert Upload.objects.get().offset == 3


def test_delete__own_upload__204_bytes_gone_and_audited(user_client, user):
    upload = make_upload(owner=user, received=b"abc")

    response = user_client.delete(detail_url(upload), **TUS)

    assert response.status_code == 204
    assert not Upload.objects.exists()
    assert AuditEvent.objects.filter(action="upload.terminated", target_id=str(upload.pk)).exists()
    assert _head(user_client, upload).status_code == 404


def test_delete__someone_elses_upload__404(other_client, user):
    upload = make_upload(owner=user)

    response = other_client.delete(detail_url(upload), **TUS)

    assert response.status_code == 404
    assert response.json()["code"] == "upload_not_found"
    assert Upload.objects.exists()


def test_cors_preflight__allowed_origin__exposes_tus_headers(api_client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example"]

    response = api_client.options(
        LIST_URL,
        HTTP_ORIGIN="https://app.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="PATCH",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="tus-resumable,upload-offset,upload-checksum,content-type,authorization",
    )
    actual = api_client.post(LIST_URL, HTTP_ORIGIN="https://app.example", off_contract=True)

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "https://app.example"
    assert "PATCH" in response["Access-Control-Allow-Methods"]
    assert {"tus-resumable", "upload-offset", "upload-checksum"} <= set(
        response["Access-Control-Allow-Headers"].split(", ")
    )
    exposed = {name.strip().lower() for name in actual["Access-Control-Expose-Headers"].split(",")}
    assert {
        "location",
        "upload-offset",
        "upload-length",
        "upload-expires",
        "upload-file-id",
        "tus-resumable",
    } <= exposed


def test_post_with_method_override_patch__appends(user_client, user):
    upload = make_upload(owner=user, length=10)

    response = user_client.post(
        detail_url(upload),
        b"abc",
        content_type=OFFSET_STREAM,
        HTTP_X_HTTP_METHOD_OVERRIDE="PATCH",
        HTTP_UPLOAD_OFFSET="0",
        off_contract=True,  # the schema documents the PATCH this stands for
        **TUS,
    )

    assert response.status_code == 204
    assert Upload.objects.get().offset == 3


def test_patch__disk_full__507_problem(user_client, user, monkeypatch):
    upload = make_upload(owner=user, length=10)

    def full(fd: int, data: memoryview, at: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(partials, "_write_all", full)

    response = _patch(user_client, upload, b"abc", 0)

    assert response.status_code == 507
    assert response.json()["code"] == "insufficient_storage"
    assert Upload.objects.get().offset == 0
