"""Upload services: interrupted and chunked bodies, completion retries, the write lock, expiry cleanup."""

import errno
import fcntl
import hashlib
import io
import os
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from core.errors import InsufficientStorageError, PayloadTooLargeError
from downloads.blobs import local_path
from downloads.models import File
from tests.uploads.factories import checksum_header, make_upload
from uploads import locks, partials, receiving
from uploads.maintenance import upload_cleanup_expired
from uploads.models import Upload
from uploads.services import upload_append, upload_terminate
from uploads.tus import ChecksumMismatchError, parse_checksum

pytestmark = pytest.mark.django_db


def _cut_after(data: bytes):
    """A request body whose connection dies after `data`."""
    stream = io.BytesIO(data)

    def read(size: int) -> bytes:
        chunk = stream.read(size)
        if not chunk:
            raise OSError("connection reset by peer")
        return chunk

    return read


def _content(upload) -> bytes:
    return partials.partial_path(upload.pk).read_bytes()


def test_upload_append__body_cut_off__keeps_what_arrived(user):
    upload = make_upload(owner=user, length=100, received=b"abc")

    upload = upload_append(upload=upload, offset=3, read=_cut_after(b"defgh"), content_length=50)

    assert upload.offset == 8
    assert Upload.objects.get().offset == 8
    assert _content(upload) == b"abcdefgh"


def test_upload_append__early_eof__keeps_what_arrived(user):
    upload = make_upload(owner=user, length=100)

    upload = upload_append(upload=upload, offset=0, read=io.BytesIO(b"abcd").read, content_length=50)

    assert Upload.objects.get().offset == 4


def test_upload_append__cut_off_with_checksum__chunk_discarded(user):
    upload = make_upload(owner=user, length=100, received=b"abc")
    checksum = parse_checksum(checksum_header("sha256", b"defgh" * 10))

    with pytest.raises(ChecksumMismatchError):
        upload_append(upload=upload, offset=3, read=_cut_after(b"defgh"), content_length=50, checksum=checksum)

    assert Upload.objects.get().offset == 3
    assert _content(upload) == b"abc"


class _WorkerKilled(BaseException):
    """Stands for the worker dying mid-body (nothing in the request handles it)."""


def test_upload_append__worker_dies_mid_body__offset_of_the_last_checkpoint_kept(user, monkeypatch):
    monkeypatch.setattr(partials, "CHECKPOINT_BYTES", 5)
    upload = make_upload(owner=user, length=100)
    stream = io.BytesIO(b"0123456789")

    def read(size: int) -> bytes:
        if stream.tell() >= 10:
            raise _WorkerKilled
        return stream.read(3)

    with pytest.raises(_WorkerKilled):
        upload_append(upload=upload, offset=0, read=read, content_length=50)

    assert Upload.objects.get().offset == 6  # reads of 3 bytes: a checkpoint after 6; bytes 7-10 never counted
    assert _content(upload)[:6] == b"012345"


def _patch_in_pieces(upload, data: bytes, sizes: list[int]):
    offset = 0
    for size in sizes:
        upload = upload_append(
            upload=upload, offset=offset, read=io.BytesIO(data[offset : offset + size]).read, content_length=size
        )
        offset += size
    return upload


def _refuse_direct_io(monkeypatch, where: str) -> None:
    """A file system without direct I/O: refused when opening, or only when writing (another alignment)."""
    if where == "write":
        real_write = partials._write_all

        def write(fd: int, data: memoryview, at: int) -> None:
            if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_DIRECT:
                raise OSError(errno.EINVAL, "Invalid argument")
            real_write(fd, data, at)

        monkeypatch.setattr(partials, "_write_all", write)
    elif where == "open":
        real_open = os.open

        def open_without_direct_io(path, flags, *args):
            if flags & os.O_DIRECT:
                raise OSError(errno.EINVAL, "Invalid argument")
            return real_open(path, flags, *args)

        monkeypatch.setattr(partials.os, "open", open_without_direct_io)


@pytest.mark.parametrize("refused", ["nowhere", "open", "write"], ids=lambda where: f"direct-io-refused-{where}")
def test_upload_append__patches_at_unaligned_offsets_across_blocks__file_holds_exact_bytes(user, monkeypatch, refused):
    _refuse_direct_io(monkeypatch, refused)
    data = os.urandom(2 * partials.BUFFER_BYTES + 12345)
    sizes = [1, partials.ALIGN - 2, 3, partials.BUFFER_BYTES + 7, 5000]
    upload = make_upload(owner=user, length=len(data))

    upload = _patch_in_pieces(upload, data, [*sizes, len(data) - sum(sizes)])

    file = File.objects.get(pk=upload.file_id)
    assert file.size == len(data)
    assert file.sha256 == hashlib.sha256(data).hexdigest()
    with open(local_path(file.storage_name), "rb") as stored:
        assert stored.read() == data


def test_upload_append__cut_off_mid_block__partial_ends_at_the_offset(user):
    upload = make_upload(owner=user, length=3 * partials.ALIGN, received=b"x" * (partials.ALIGN + 1))

    upload = upload_append(
        upload=upload, offset=partials.ALIGN + 1, read=_cut_after(b"y" * 10), content_length=partials.ALIGN
    )

    assert Upload.objects.get().offset == partials.ALIGN + 11
    assert _content(upload) == b"x" * (partials.ALIGN + 1) + b"y" * 10


def test_upload_append__chunked_body__appended_to_eof(user):
    upload = make_upload(owner=user, length=10)

    upload = upload_append(upload=upload, offset=0, read=io.BytesIO(b"abcd").read, content_length=None)

    assert upload.offset == 4


def test_upload_append__chunked_body_past_length__413_and_discarded(user):
    upload = make_upload(owner=user, length=10, received=b"ab")

    with pytest.raises(PayloadTooLargeError):
        upload_append(upload=upload, offset=2, read=io.BytesIO(b"x" * 20).read, content_length=None)

    assert Upload.objects.get().offset == 2
    assert _content(upload) == b"ab"


def test_upload_append__stale_bytes_past_offset__overwritten(user):
    upload = make_upload(owner=user, length=6, received=b"abc")
    with open(partials.partial_path(upload.pk), "ab") as partial:  # a crashed request wrote but never committed
        partial.write(b"ZZZZ")

    upload = upload_append(upload=upload, offset=3, read=io.BytesIO(b"de").read, content_length=2)

    assert _content(upload) == b"abcde"


def test_upload_append__completion_fails__offset_kept_and_retry_completes(
    user, settings, django_capture_on_commit_callbacks
):
    settings.FILES_USER_QUOTA = 5
    upload = make_upload(owner=user, length=5, received=b"abc")
    File.objects.create(owner=user, name="x", size=3, sha256="0" * 64, storage_name="blobs/x", chunk_size=1, chunks=[1])

    with pytest.raises(PayloadTooLargeError):
        upload_append(upload=upload, offset=3, read=io.BytesIO(b"de").read, content_length=2)

    stored = Upload.objects.get()
    assert (stored.offset, stored.completed_at) == (5, None)
    assert _content(upload) == b"abcde"
    File.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        upload = upload_append(upload=upload, offset=5, read=io.BytesIO(b"").read, content_length=0)
    assert File.objects.get(pk=upload.file_id).size == 5
    assert not partials.partial_path(upload.pk).exists()


def _hold_lock(upload_id, held: threading.Event, release: threading.Event) -> None:
    try:
        with locks.exclusive(upload_id):
            held.set()
            release.wait(10)
    finally:
        connection.close()


@pytest.mark.parametrize("action", ["append", "terminate"])
def test_write__while_another_request_holds_the_lock__409_upload_locked(user, action):
    upload = make_upload(owner=user, length=10)
    held, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_lock, args=(upload.pk, held, release))
    holder.start()
    held.wait(10)
    try:
        with pytest.raises(locks.UploadLockedError):
            if action == "append":
                upload_append(upload=upload, offset=0, read=io.BytesIO(b"a").read, content_length=1)
            else:
                upload_terminate(upload=upload)
    finally:
        release.set()
        holder.join()
    assert Upload.objects.get().offset == 0


def _age(upload, seconds: int) -> None:
    Upload.objects.filter(pk=upload.pk).update(expires_at=timezone.now() - timedelta(seconds=seconds))


def test_upload_cleanup_expired__removes_expired_keeps_live_and_files(user, settings):
    expired = make_upload(owner=user, received=b"abc")
    live = make_upload(owner=user)
    finished = make_upload(owner=user, length=2, received=b"ok")
    _age(expired, 1)
    _age(finished, 1)

    assert upload_cleanup_expired() == 2

    assert list(Upload.objects.values_list("pk", flat=True)) == [live.pk]
    assert not partials.partial_path(expired.pk).exists()
    assert partials.partial_path(live.pk).exists()
    assert File.objects.filter(pk=finished.file_id).exists()


def test_upload_cleanup_expired__orphaned_stale_partial__removed(user, settings):
    live = make_upload(owner=user)
    orphan = partials.partial_dir() / "0b6f3a52-6d1c-4c3e-9d8e-1f2a3b4c5d6e.part"
    orphan.write_bytes(b"left behind")
    stale = time.time() - settings.UPLOAD_EXPIRY - 10
    for path in (orphan, partials.partial_path(live.pk)):
        os.utime(path, (stale, stale))
    (partials.partial_dir() / "not-an-upload.txt").write_bytes(b"")

    upload_cleanup_expired()

    assert not orphan.exists()
    assert partials.partial_path(live.pk).exists()


def test_upload_cleanup_expired__upload_being_written__skipped(user):
    upload = make_upload(owner=user)
    _age(upload, 1)
    held, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_lock, args=(upload.pk, held, release))
    holder.start()
    held.wait(10)
    try:
        assert upload_cleanup_expired() == 0
    finally:
        release.set()
        holder.join()
    assert Upload.objects.filter(pk=upload.pk).exists()


def _disk_full_after(monkeypatch, writes: int) -> None:
    real_write = partials._write_all
    calls = {"count": 0}

    def write(fd: int, data: memoryview, at: int) -> None:
        calls["count"] += 1
        if calls["count"] > writes:
            os.pwrite(fd, data[: partials.ALIGN], at)  # a part written (direct I/O: whole blocks), then full
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(fd, data, at)

    monkeypatch.setattr(partials, "_write_all", write)


def test_upload_append__disk_full__507_keeps_the_bytes_stored_whole(user, monkeypatch):
    upload = make_upload(owner=user, length=100, received=b"ab")
    monkeypatch.setattr(receiving, "READ_SIZE", 3)
    _disk_full_after(monkeypatch, writes=2)

    with pytest.raises(InsufficientStorageError):
        upload_append(upload=upload, offset=2, read=io.BytesIO(b"cdefghijk").read, content_length=9)

    assert Upload.objects.get().offset == 8
    assert _content(upload) == b"abcdefgh"


def test_upload_append__disk_full_with_checksum__507_chunk_discarded(user, monkeypatch):
    upload = make_upload(owner=user, length=100, received=b"ab")
    monkeypatch.setattr(receiving, "READ_SIZE", 3)
    _disk_full_after(monkeypatch, writes=1)
    checksum = parse_checksum(checksum_header("sha256", b"cdefgh"))

    with pytest.raises(InsufficientStorageError):
        upload_append(upload=upload, offset=2, read=io.BytesIO(b"cdefgh").read, content_length=6, checksum=checksum)

    assert Upload.objects.get().offset == 2
    assert _content(upload) == b"ab"


def test_upload_append__other_write_error__raised(user, monkeypatch):
    upload = make_upload(owner=user, length=10)

    def broken(fd: int, data: memoryview, at: int) -> None:
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(partials, "_write_all", broken)

    with pytest.raises(OSError, match="I/O error"):
        upload_append(upload=upload, offset=0, read=io.BytesIO(b"abc").read, content_length=3)
    assert Upload.objects.get().offset == 0
