import hashlib
import os

import pytest

from audit.models import AuditEvent
from core.errors import ConflictError, PayloadTooLargeError
from downloads.blobs import files_storage
from downloads.models import File, StorageQuota
from downloads.services import (
    blob_write_stream,
    file_create_from_local_path,
    file_replace_content,
    quota_ensure_available,
)
from tests.downloads.factories import make_file

pytestmark = pytest.mark.django_db


def test_file_create_from_local_path__moves_hashes_and_audits(user, settings, tmp_path):
    settings.FILES_CHUNK_SIZE = 4
    source = tmp_path / "upload.bin"
    source.write_bytes(b"0123456789")

    file = file_create_from_local_path(owner=user, name="../x/report.txt", source_path=str(source))

    assert not source.exists()
    assert file.name == "report.txt"
    assert file.size == 10
    assert file.sha256 == hashlib.sha256(b"0123456789").hexdigest()
    assert file.chunks == [hashlib.sha256(part).hexdigest() for part in (b"0123", b"4567", b"89")]
    assert file.content_type == "text/plain"
    with files_storage().open(file.storage_name) as blob:
        assert blob.read() == b"0123456789"
    assert AuditEvent.objects.filter(action="file.uploaded", target_id=str(file.pk)).count() == 1


def test_file_create_from_local_path__wrong_sha256__409_and_nothing_stored(user, tmp_path):
    source = tmp_path / "upload.bin"
    source.write_bytes(b"abc")

    with pytest.raises(ConflictError) as error:
        file_create_from_local_path(owner=user, name="a", source_path=str(source), sha256="0" * 64)

    assert error.value.code == "checksum_mismatch"
    assert not File.objects.exists()


def test_file_create_from_local_path__over_quota__413_no_row_no_blob(user, settings, tmp_path):
    settings.FILES_USER_QUOTA = 5
    source = tmp_path / "upload.bin"
    source.write_bytes(b"0123456789")

    with pytest.raises(PayloadTooLargeError) as error:
        file_create_from_local_path(owner=user, name="a", source_path=str(source))

    assert error.value.code == "quota_exceeded"
    assert not File.objects.exists()
    assert not os.path.exists(os.path.join(settings.MEDIA_ROOT, "blobs")) or not any(
        files for _, _, files in os.walk(os.path.join(settings.MEDIA_ROOT, "blobs"))
    )


def test_quota_ensure_available__counts_stored_reserved_and_additional(user):
    make_file(owner=user, content=b"x" * 10)
    StorageQuota.objects.create(owner=user, max_bytes=30)

    quota_ensure_available(owner=user, additional_bytes=10, reserved_bytes=10)
    with pytest.raises(PayloadTooLargeError):
        quota_ensure_available(owner=user, additional_bytes=11, reserved_bytes=10)


def _blob_files(settings) -> list[str]:
    return [name for _, _, names in os.walk(os.path.join(settings.MEDIA_ROOT, "blobs")) for name in names]


def test_file_create_from_local_path__insert_fails__no_row_no_blob(user, settings, tmp_path, monkeypatch):
    source = tmp_path / "upload.bin"
    source.write_bytes(b"abc")
    monkeypatch.setattr("downloads.services.record", _explode)

    with pytest.raises(RuntimeError):
        file_create_from_local_path(owner=user, name="a", source_path=str(source))

    assert not File.objects.exists()
    assert _blob_files(settings) == []


def test_file_replace_content__fails__new_blob_deleted_old_content_kept(user, settings, monkeypatch):
    file = make_file(owner=user, content=b"old")
    writer = blob_write_stream(blocks=[b"new"], max_size=10)
    monkeypatch.setattr("downloads.services.record", _explode)

    with pytest.raises(RuntimeError):
        file_replace_content(file=file, writer=writer)

    file.refresh_from_db()
    assert file.sha256 == hashlib.sha256(b"old").hexdigest()
    assert _blob_files(settings) == [os.path.basename(file.storage_name)]


def test_blob_write_stream__past_max_size__413_and_blob_gone(settings):
    with pytest.raises(PayloadTooLargeError):
        blob_write_stream(blocks=[b"12345", b"678"], max_size=6)

    assert _blob_files(settings) == []


def _explode(*args, **kwargs):
    raise RuntimeError("audit down")
