"""tus extensions of the second release through HTTP: creation-defer-length and concatenation."""

import hashlib

import pytest

from downloads.models import File
from tests.uploads.factories import LIST_URL, OFFSET_STREAM, TUS, detail_url, make_upload, metadata_header
from uploads.models import Concat, Upload

pytestmark = pytest.mark.django_db


def _patch(client, upload, body, offset, **headers):
    return client.patch(
        detail_url(upload), body, content_type=OFFSET_STREAM, HTTP_UPLOAD_OFFSET=str(offset), **{**TUS, **headers}
    )


def _head(client, upload):
    return client.head(detail_url(upload), off_contract=True, **TUS)


def _create(client, **headers):
    return client.post(LIST_URL, **{**TUS, **headers})


def _partial(owner, body: bytes) -> Upload:
    return make_upload(owner=owner, length=len(body), received=body, concat=Concat.PARTIAL)


def _final_header(*uploads) -> str:
    return "final;" + " ".join(f"http://testserver{detail_url(upload)}" for upload in uploads)


def test_create__defer_length__201_and_head_says_deferred(user_client):
    response = _create(user_client, HTTP_UPLOAD_DEFER_LENGTH="1")

    assert response.status_code == 201
    upload = Upload.objects.get()
    assert upload.length is None
    head = _head(user_client, upload)
    assert head["Upload-Defer-Length"] == "1"
    assert "Upload-Length" not in head


def test_patch__deferred_length_given_later__completes_into_the_file(user_client, user):
    upload = Upload.objects.get(pk=_create(user_client, HTTP_UPLOAD_DEFER_LENGTH="1")["Location"].rsplit("/", 1)[1])

    first = _patch(user_client, upload, b"abc", 0)
    second = _patch(user_client, upload, b"def", 3, HTTP_UPLOAD_LENGTH="6")

    assert (first.status_code, first["Upload-Offset"]) == (204, "3")
    assert "Upload-File-Id" not in first
    assert second.status_code == 204
    file = File.objects.get(pk=second["Upload-File-Id"])
    assert (file.size, file.sha256) == (6, hashlib.sha256(b"abcdef").hexdigest())
    assert _head(user_client, upload)["Upload-Length"] == "6"


def test_patch__deferred_length_equal_to_offset__empty_patch_completes(user_client, user):
    upload = make_upload(owner=user, length=None, received=b"abc")

    response = _patch(user_client, upload, b"", 3, HTTP_UPLOAD_LENGTH="3")

    assert response.status_code == 204
    assert File.objects.get(pk=response["Upload-File-Id"]).size == 3


def test_patch__upload_length_changed_once_set__400_upload_length_fixed(user_client, user):
    upload = make_upload(owner=user, length=10, received=b"abc")

    response = _patch(user_client, upload, b"d", 3, HTTP_UPLOAD_LENGTH="11")

    assert response.status_code == 400
    assert response.json()["code"] == "upload_length_fixed"
    assert Upload.objects.get().offset == 3


def test_patch__deferred_length_below_offset__400_and_still_deferred(user_client, user):
    upload = make_upload(owner=user, length=None, received=b"abc")

    response = _patch(user_client, upload, b"", 3, HTTP_UPLOAD_LENGTH="2")

    assert response.status_code == 400
    assert response.json()["code"] == "upload_length_invalid"
    assert Upload.objects.get().length is None


def test_patch__deferred_length_over_quota__413_quota_exceeded(user_client, user, settings):
    settings.FILES_USER_QUOTA = 5
    upload = make_upload(owner=user, length=None, received=b"abc")

    response = _patch(user_client, upload, b"", 3, HTTP_UPLOAD_LENGTH="6")

    assert response.status_code == 413
    assert response.json()["code"] == "quota_exceeded"
    assert Upload.objects.get().length is None


def test_patch__deferred_past_max_size__413_upload_too_large(user_client, user, settings):
    settings.MAX_UPLOAD_SIZE = 4
    upload = make_upload(owner=user, length=None, received=b"abc")

    response = _patch(user_client, upload, b"de", 3)

    assert response.status_code == 413
    assert response.json()["code"] == "upload_too_large"
    assert Upload.objects.get().offset == 3


def test_concat__partials_then_final__201_with_file_id_and_one_file(user_client, user):
    first = Upload.objects.get(
        pk=_create(user_client, HTTP_UPLOAD_LENGTH="3", HTTP_UPLOAD_CONCAT="partial")["Location"].rsplit("/", 1)[1]
    )
    second = _partial(user, b"def")
    assert _patch(user_client, first, b"abc", 0).status_code == 204
    assert File.objects.count() == 0  # a finished partial upload is no file
    assert _head(user_client, first)["Upload-Concat"] == "partial"

    response = _create(
        user_client, HTTP_UPLOAD_CONCAT=_final_header(first, second), HTTP_UPLOAD_METADATA=metadata_header(filename="j")
    )

    assert response.status_code == 201
    file = File.objects.get()
    assert response["Upload-File-Id"] == str(file.pk)
    assert (file.name, file.size, file.sha256) == ("j", 6, hashlib.sha256(b"abcdef").hexdigest())
    final = Upload.objects.get(pk=response["Location"].rsplit("/", 1)[1])
    assert _head(user_client, final)["Upload-Concat"] == _final_header(first, second)
    assert not Upload.objects.filter(concat=Concat.PARTIAL).exists()  # partials go once concatenated
    assert [item["id"] for item in user_client.get("/api/v1/files/").json()["results"]] == [str(file.pk)]


def test_concat__final_with_path_urls__accepted(user_client, user):
    parts = [_partial(user, b"ab"), _partial(user, b"c")]

    response = _create(user_client, HTTP_UPLOAD_CONCAT="final;" + " ".join(detail_url(part) for part in parts))

    assert response.status_code == 201
    assert File.objects.get().sha256 == hashlib.sha256(b"abc").hexdigest()


def test_concat__someone_elses_partial__400_and_nothing_made(user_client, user, other_user):
    mine, theirs = _partial(user, b"ab"), _partial(other_user, b"cd")

    response = _create(user_client, HTTP_UPLOAD_CONCAT=_final_header(mine, theirs))

    assert response.status_code == 400
    assert response.json()["code"] == "concat_partial_not_found"
    assert str(theirs.pk) in response.json()["detail"]
    assert not File.objects.exists()
    assert Upload.objects.filter(concat=Concat.PARTIAL).count() == 2


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda user: make_upload(owner=user, length=2, received=b"ab"), "concat_partial_not_found"),  # not partial
        (
            lambda user: make_upload(owner=user, length=2, received=b"a", concat=Concat.PARTIAL),
            "concat_partial_incomplete",
        ),
    ],
)
def test_concat__not_a_finished_partial__400(user_client, user, make, code):
    response = _create(user_client, HTTP_UPLOAD_CONCAT=_final_header(make(user)))

    assert response.status_code == 400
    assert response.json()["code"] == code


def test_concat__same_partial_twice__400_concat_invalid(user_client, user):
    part = _partial(user, b"ab")

    response = _create(user_client, HTTP_UPLOAD_CONCAT=_final_header(part, part))

    assert response.status_code == 400
    assert response.json()["code"] == "concat_invalid"


def test_concat__final_with_upload_length__400(user_client, user):
    response = _create(user_client, HTTP_UPLOAD_CONCAT=_final_header(_partial(user, b"ab")), HTTP_UPLOAD_LENGTH="2")

    assert response.status_code == 400
    assert response.json()["code"] == "concat_invalid"


def test_patch__final_upload__403(user_client, user):
    response = _create(user_client, HTTP_UPLOAD_CONCAT=_final_header(_partial(user, b"ab")))
    final = Upload.objects.get(pk=response["Location"].rsplit("/", 1)[1])

    patched = _patch(user_client, final, b"", 2)

    assert patched.status_code == 403
    assert patched.json()["code"] == "upload_is_final"


def test_concat__partials_count_against_the_quota(user_client, user, settings):
    settings.FILES_USER_QUOTA = 5
    _partial(user, b"abc")

    response = _create(user_client, HTTP_UPLOAD_LENGTH="3", HTTP_UPLOAD_CONCAT="partial")

    assert response.status_code == 413
    assert response.json()["code"] == "quota_exceeded"
