"""Real concurrency on PostgreSQL: parallel PATCHes of one upload never corrupt its offset or bytes."""

import hashlib
import io
import threading
import time

import pytest
from django.db import connection

from core.errors import ConflictError
from downloads.models import File
from tests.uploads.factories import make_upload
from uploads import partials
from uploads.models import Upload
from uploads.services import upload_append

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

WRITERS = 6
BODY = 64 * 1024


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: concurrent writers on separate connections")


def _slow(data: bytes, start: threading.Barrier):
    """A body that trickles in, so the writers' requests overlap."""
    stream = io.BytesIO(data)

    def read(size: int) -> bytes:
        time.sleep(0.005)
        return stream.read(min(size, 4096))

    start.wait(10)
    return read


def _patch(upload, data: bytes, start: threading.Barrier, outcomes: list) -> None:
    try:
        read = _slow(data, start)
        outcomes.append(upload_append(upload=upload, offset=0, read=read, content_length=len(data)).offset)
    except ConflictError as error:
        outcomes.append(error.code)
    finally:
        connection.close()


def test_parallel_patches_same_offset__one_wins_the_rest_409(user):
    upload = make_upload(owner=user, length=WRITERS * BODY)
    bodies = [bytes([65 + index]) * BODY for index in range(WRITERS)]
    start = threading.Barrier(WRITERS)
    outcomes: list = []
    threads = [threading.Thread(target=_patch, args=(upload, body, start, outcomes)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert outcomes.count(BODY) == 1, outcomes
    assert set(outcomes) - {BODY} <= {"upload_locked", "offset_mismatch"}
    assert Upload.objects.get(pk=upload.pk).offset == BODY
    content = partials.partial_path(upload.pk).read_bytes()
    assert content in bodies  # exactly one writer's bytes, never a mix


def test_parallel_patches_in_sequence_with_retries__all_bytes_in_order(user):
    """Writers retry on 409 with the offset they are given, as tus clients do after a HEAD."""
    parts = [bytes([97 + index]) * 1000 for index in range(WRITERS)]
    upload = make_upload(owner=user, length=len(parts) * 1000)
    errors: list = []

    def write(index: int) -> None:
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                try:
                    upload_append(
                        upload=upload, offset=index * 1000, read=io.BytesIO(parts[index]).read, content_length=1000
                    )
                    return
                except ConflictError:
                    time.sleep(0.01)
            errors.append(index)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(index,)) for index in reversed(range(WRITERS))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    stored = Upload.objects.get(pk=upload.pk)
    assert stored.offset == stored.length
    file = File.objects.get(pk=stored.file_id)
    assert file.sha256 == hashlib.sha256(b"".join(parts)).hexdigest()
