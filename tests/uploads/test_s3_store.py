"""Uploads in progress on S3 (moto's server): parts, the tail object, completion, abort, fencing."""

import contextlib
import hashlib
import io
import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from core.errors import ConflictError
from downloads.models import File
from tests.uploads.conftest import BUCKET
from tests.uploads.factories import checksum_header, make_upload
from uploads import locks
from uploads.maintenance import upload_cleanup_expired
from uploads.models import Concat, Upload
from uploads.s3parts import MIN_PART
from uploads.services import upload_append, upload_concatenate, upload_terminate
from uploads.tus import ChecksumMismatchError, parse_checksum

pytestmark = pytest.mark.django_db

MIB = 1024 * 1024


@pytest.fixture(autouse=True)
def _small_parts(settings):
    settings.UPLOADS_S3_PART_SIZE = MIN_PART  # moto, like S3, refuses smaller parts but the last


def _append(upload, body: bytes, offset: int, **kwargs) -> Upload:
    return upload_append(upload=upload, offset=offset, read=io.BytesIO(body).read, content_length=len(body), **kwargs)


def _keys(client) -> list[str]:
    return sorted(item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def _pending(client) -> list[str]:
    return [item["Key"] for item in client.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])]


def _local_files() -> list[Path]:
    """Files with bytes on this instance's disk (the embedded mode's lock files are empty)."""
    return [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file() and path.stat().st_size]


def test_s3_upload__tail_then_parts_then_last__one_object_right_hash_nothing_on_disk(
    s3_bucket, user, django_capture_on_commit_callbacks
):
    content = os.urandom(13 * MIB)
    upload = make_upload(owner=user, length=len(content))

    upload = _append(upload, content[: 3 * MIB], 0)  # below a part: a tail object
    tail = upload.store_state["tail"]
    assert (upload.offset, upload.store_state["parts"], tail["size"]) == (3 * MIB, [], 3 * MIB)
    upload = _append(upload, content[3 * MIB : 7 * MIB], 3 * MIB)  # tail + these: one part, a new tail
    assert [size for _n, _e, size in upload.store_state["parts"]] == [MIN_PART]
    assert upload.store_state["tail"]["size"] == 7 * MIB - MIN_PART
    assert tail["key"] not in _keys(s3_bucket)  # the old tail went once the new state was committed
    assert _local_files() == []
    with django_capture_on_commit_callbacks(execute=True):
        upload = _append(upload, content[7 * MIB :], 7 * MIB)

    file = File.objects.get(pk=upload.file_id)
    assert file.sha256 == hashlib.sha256(content).hexdigest()
    assert s3_bucket.get_object(Bucket=BUCKET, Key=file.storage_name)["Body"].read() == content
    assert _keys(s3_bucket) == [file.storage_name]
    assert _pending(s3_bucket) == []
    assert not [path for path in _local_files() if "uploads-partial" in str(path)]


def test_s3_upload__small__put_whole_without_multipart(s3_bucket, user):
    upload = make_upload(owner=user, length=6)
    upload = _append(upload, b"abc", 0)
    upload = _append(upload, b"def", 3)

    file = File.objects.get(pk=upload.file_id)
    assert s3_bucket.get_object(Bucket=BUCKET, Key=file.storage_name)["Body"].read() == b"abcdef"
    assert _pending(s3_bucket) == []


def test_s3_upload__body_cut_off__keeps_what_arrived(s3_bucket, user):
    content = os.urandom(7 * MIB)
    upload = make_upload(owner=user, length=20 * MIB)
    stream = io.BytesIO(content)

    def read(size: int) -> bytes:
        data = stream.read(size)
        if not data:
            raise OSError("client gone")
        return data

    upload = upload_append(upload=upload, offset=0, read=read, content_length=20 * MIB)

    stored = Upload.objects.get()
    assert stored.offset == len(content)
    assert stored.store_state["tail"]["size"] == len(content) - MIN_PART


def test_s3_upload__checksum_mismatch__460_nothing_committed_tail_kept(s3_bucket, user):
    upload = make_upload(owner=user, length=20 * MIB, received=b"abc")
    tail = Upload.objects.get().store_state["tail"]
    checksum = parse_checksum(checksum_header("sha256", b"other"))

    with pytest.raises(ChecksumMismatchError):
        _append(upload, os.urandom(6 * MIB), 3, checksum=checksum)

    stored = Upload.objects.get()
    assert (stored.offset, stored.store_state["tail"]) == (3, tail)
    assert s3_bucket.get_object(Bucket=BUCKET, Key=tail["key"])["Body"].read() == b"abc"


def test_s3_upload__writer_that_lost_its_lock__409_and_cannot_clobber(s3_bucket, user, monkeypatch):
    """Two writers at one offset with the lock gone (a holder presumed dead): the offset fences them."""
    monkeypatch.setattr(locks, "exclusive", lambda upload_id: contextlib.nullcontext())
    upload = make_upload(owner=user, length=20 * MIB)
    winner = os.urandom(6 * MIB)
    stream = io.BytesIO(os.urandom(6 * MIB))
    overtaken = {"done": False}

    def read(size: int) -> bytes:
        if not overtaken["done"]:  # while this writer streams, another takes the upload and commits
            overtaken["done"] = True
            _append(Upload.objects.get(), winner, 0)
        return stream.read(size)

    with pytest.raises(ConflictError) as raised:
        upload_append(upload=upload, offset=0, read=read, content_length=6 * MIB)

    assert raised.value.code == "offset_mismatch"
    stored = Upload.objects.get()
    assert stored.offset == 6 * MIB
    assert stored.hash_state["size"] == 6 * MIB
    [(_number, _etag, size)], tail = stored.store_state["parts"], stored.store_state["tail"]
    assert (size, tail["size"]) == (MIN_PART, MIB)
    assert s3_bucket.get_object(Bucket=BUCKET, Key=tail["key"])["Body"].read() == winner[MIN_PART:]


def test_s3_terminate__aborts_the_multipart_upload_at_once(s3_bucket, user, django_capture_on_commit_callbacks):
    upload = make_upload(owner=user, length=20 * MIB, received=os.urandom(6 * MIB))
    assert len(_pending(s3_bucket)) == 1

    with django_capture_on_commit_callbacks(execute=True):
        upload_terminate(upload=upload)

    assert _pending(s3_bucket) == []
    assert _keys(s3_bucket) == []


def test_s3_cleanup__expired_upload__multipart_aborted(s3_bucket, user):
    upload = make_upload(owner=user, length=20 * MIB, received=os.urandom(6 * MIB))
    Upload.objects.filter(pk=upload.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert upload_cleanup_expired() == 1

    assert _pending(s3_bucket) == []
    assert _keys(s3_bucket) == []


def test_s3_cleanup__orphaned_multipart_upload__aborted_once_stale(s3_bucket, user, settings):
    upload = make_upload(owner=user, length=20 * MIB, received=os.urandom(6 * MIB))
    Upload.objects.filter(pk=upload.pk).delete()  # e.g. the owner was deleted: the row went, not the bytes
    settings.UPLOAD_EXPIRY = -60  # everything counts as stale

    upload_cleanup_expired()

    assert _pending(s3_bucket) == []
    assert _keys(s3_bucket) == []


def test_s3_deferred_length__bytes_in_a_tail_when_length_comes__assembled(s3_bucket, user):
    content = os.urandom(7 * MIB)
    upload = make_upload(owner=user, length=None)
    upload = _append(upload, content, 0)
    assert upload.store_state["tail"]["size"] == 7 * MIB - MIN_PART

    upload = upload_append(
        upload=upload, offset=len(content), read=io.BytesIO().read, content_length=0, length=len(content)
    )

    file = File.objects.get(pk=upload.file_id)
    assert s3_bucket.get_object(Bucket=BUCKET, Key=file.storage_name)["Body"].read() == content
    assert file.sha256 == hashlib.sha256(content).hexdigest()


def test_s3_concat__partials_in_the_bucket__final_file(s3_bucket, user, django_capture_on_commit_callbacks):
    pieces = [os.urandom(6 * MIB), b"tail piece"]
    partials = [make_upload(owner=user, length=len(piece), received=piece, concat=Concat.PARTIAL) for piece in pieces]
    assert not File.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        final = upload_concatenate(owner=user, partial_ids=[partial.pk for partial in partials], metadata={})

    file = File.objects.get(pk=final.file_id)
    assert s3_bucket.get_object(Bucket=BUCKET, Key=file.storage_name)["Body"].read() == b"".join(pieces)
    assert _keys(s3_bucket) == [file.storage_name]
    assert _pending(s3_bucket) == []


def test_s3_concat__small_partial_first__joined_through_the_instance(
    s3_bucket, user, django_capture_on_commit_callbacks
):
    pieces = [b"head", os.urandom(6 * MIB)]  # S3 copies no part below 5 MiB but the last
    partials = [make_upload(owner=user, length=len(piece), received=piece, concat=Concat.PARTIAL) for piece in pieces]

    with django_capture_on_commit_callbacks(execute=True):
        final = upload_concatenate(owner=user, partial_ids=[partial.pk for partial in partials], metadata={})

    file = File.objects.get(pk=final.file_id)
    assert file.sha256 == hashlib.sha256(b"".join(pieces)).hexdigest()
    assert s3_bucket.get_object(Bucket=BUCKET, Key=file.storage_name)["Body"].read() == b"".join(pieces)
    assert _keys(s3_bucket) == [file.storage_name]
