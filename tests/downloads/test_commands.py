"""files_cleanup and files_verify."""

from __future__ import annotations

import io
import os
import tempfile
import time
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from downloads.blobs import BlobWriter, files_storage
from downloads.models import Download, DownloadStatus, File, FileLink
from downloads.services import link_create
from tests.downloads.factories import make_download, make_file

pytestmark = pytest.mark.django_db


def _age(path: str, seconds: int) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_files_cleanup__deletes_what_is_dead_keeps_the_rest(user, settings):
    settings.FILE_UPLOAD_TEMP_DIR = tempfile.mkdtemp()
    file = make_file(owner=user)
    live_link, _ = link_create(file=file, expires_in=60)
    dead_link, _ = link_create(file=file, expires_in=60)
    FileLink.objects.filter(pk=dead_link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    fresh = make_download(file=file)
    stale = make_download(file=file)
    abandoned = make_download(file=file)
    done = make_download(file=file)
    Download.objects.filter(pk=stale.pk).update(status=DownloadStatus.STALE)
    long_ago = timezone.now() - timedelta(days=30)
    Download.objects.filter(pk=abandoned.pk).update(status=DownloadStatus.IN_PROGRESS, updated_at=long_ago)
    Download.objects.filter(pk=done.pk).update(status=DownloadStatus.COMPLETED, updated_at=long_ago)
    orphan, young_orphan = BlobWriter(), BlobWriter()
    orphan.close()
    young_orphan.close()
    _age(files_storage().path(orphan.name), 2 * 86400)
    _age(files_storage().path(file.storage_name), 2 * 86400)
    dead_temp = os.path.join(settings.FILE_UPLOAD_TEMP_DIR, "tmpabc.upload.bin")
    open(dead_temp, "wb").close()
    _age(dead_temp, 2 * 86400)
    out = io.StringIO()

    call_command("files_cleanup", stdout=out)

    assert list(FileLink.objects.values_list("pk", flat=True)) == [live_link.pk]
    assert set(Download.objects.values_list("pk", flat=True)) == {fresh.pk, done.pk}
    assert not files_storage().exists(orphan.name)
    assert files_storage().exists(young_orphan.name)
    assert files_storage().exists(file.storage_name)
    assert not os.path.exists(dead_temp)
    assert "1 expired links, 2 stale or abandoned downloads, 1 orphaned blobs, 1 temp files" in out.getvalue()


def test_files_cleanup__dry_run__deletes_nothing(user):
    file = make_file(owner=user)
    link, _ = link_create(file=file, expires_in=60)
    FileLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    out = io.StringIO()

    call_command("files_cleanup", "--dry-run", stdout=out)

    assert FileLink.objects.filter(pk=link.pk).exists()
    assert "would delete: 1 expired links" in out.getvalue()


def test_files_cleanup__empty_storage__nothing_to_do():
    out = io.StringIO()

    call_command("files_cleanup", stdout=out)

    assert "deleted: 0 expired links, 0 stale or abandoned downloads, 0 orphaned blobs" in out.getvalue()


def test_files_verify__all_good__exit_0(user):
    make_file(owner=user)
    out = io.StringIO()

    call_command("files_verify", stdout=out)

    assert "verified 1 files: all match" in out.getvalue()


def test_files_verify__tampered_and_missing__marked_named_exit_1(user):
    good = make_file(owner=user, name="good.txt")
    tampered = make_file(owner=user, name="tampered.txt")
    missing = make_file(owner=user, name="missing.txt")
    with open(files_storage().path(tampered.storage_name), "ab") as blob:
        blob.write(b"!")
    os.remove(files_storage().path(missing.storage_name))
    out = io.StringIO()

    with pytest.raises(CommandError) as error:
        call_command("files_verify", stdout=out)

    assert error.value.returncode == 1
    assert str(tampered.pk) in str(error.value) and str(missing.pk) in str(error.value)
    assert str(good.pk) not in str(error.value)
    assert f"MISMATCH {tampered.pk} 'tampered.txt'" in out.getvalue()
    marked = File.objects.filter(corrupted_at__isnull=False).values_list("pk", flat=True)
    assert set(marked) == {tampered.pk, missing.pk}


def test_files_verify__repaired_file__mark_cleared(user):
    file = make_file(owner=user)
    File.objects.filter(pk=file.pk).update(corrupted_at=timezone.now())

    call_command("files_verify", stdout=io.StringIO())

    file.refresh_from_db()
    assert file.corrupted_at is None
