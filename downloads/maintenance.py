"""Operator jobs behind `files_cleanup` and `files_verify` (the commands only parse options and print)."""

from __future__ import annotations

import glob
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from downloads.blobs import delete_blob, files_storage, hash_stream, local_path
from downloads.models import Download, DownloadStatus, File, FileLink
from downloads.services import file_list_changed

BLOB_ROOT = "blobs"


@dataclass
class CleanupReport:
    expired_links: int = 0
    downloads: int = 0
    orphaned_blobs: list[str] = field(default_factory=list)
    temp_files: list[str] = field(default_factory=list)


def _blob_names() -> Iterator[str]:
    storage = files_storage()
    if local_path(BLOB_ROOT) is not None and not storage.exists(BLOB_ROOT):
        return  # nothing stored yet (S3 has no directories, listdir copes with an empty prefix)
    directories, _ = storage.listdir(BLOB_ROOT)
    for directory in directories:
        for name in storage.listdir(f"{BLOB_ROOT}/{directory}")[1]:
            yield f"{BLOB_ROOT}/{directory}/{name}"


def _dead_upload_temp_files(cutoff: float) -> list[str]:
    # Django's TemporaryUploadedFile names end in ".upload" (plus the original extension).
    directory = settings.FILE_UPLOAD_TEMP_DIR or tempfile.gettempdir()
    paths = glob.glob(os.path.join(directory, "*.upload*"))
    return [path for path in paths if os.path.isfile(path) and os.path.getmtime(path) < cutoff]


def files_cleanup(*, dry_run: bool = False) -> CleanupReport:
    """Delete expired links, stale and abandoned downloads, blobs without a file row and dead temp files.

    Blobs and temp files younger than FILES_ORPHAN_GRACE are kept: they may belong to uploads in flight.
    """
    now = timezone.now()
    report = CleanupReport()
    links = FileLink.objects.filter(expires_at__lte=now)
    abandoned = now - timedelta(seconds=settings.FILES_DOWNLOAD_ABANDON_AFTER)
    downloads = Download.objects.filter(
        Q(status=DownloadStatus.STALE) | (~Q(status=DownloadStatus.COMPLETED) & Q(updated_at__lt=abandoned))
    )
    report.expired_links, report.downloads = links.count(), downloads.count()
    grace = now - timedelta(seconds=settings.FILES_ORPHAN_GRACE)
    storage = files_storage()
    known = set(File.objects.values_list("storage_name", flat=True))
    report.orphaned_blobs = [
        name for name in _blob_names() if name not in known and storage.get_modified_time(name) < grace
    ]
    report.temp_files = _dead_upload_temp_files(time.time() - settings.FILES_ORPHAN_GRACE)
    if not dry_run:
        links.delete()
        downloads.delete()
        for name in report.orphaned_blobs:
            delete_blob(name)
        for path in report.temp_files:
            os.remove(path)
    return report


def file_verify(file: File) -> bool:
    """Re-hash the stored bytes; marks (or clears) `corrupted_at`. A missing blob is a mismatch."""
    try:
        with files_storage().open(file.storage_name, "rb") as blob:
            matches = hash_stream(blob).finish()[0] == file.sha256
    except FileNotFoundError:
        matches = False
    if matches == (file.corrupted_at is None):
        return matches
    file.corrupted_at = None if matches else timezone.now()
    File.objects.filter(pk=file.pk).update(corrupted_at=file.corrupted_at)
    file_list_changed(owner_id=file.owner_id)  # an update() sends no signal (downloads.apps)
    return matches
