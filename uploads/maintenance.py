"""Housekeeping of uploads (`uploads_cleanup`, `files_cleanup`, the scheduler): expired uploads and orphans."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from uploads import locks, partials, s3parts
from uploads.models import Upload
from uploads.services import upload_bytes_remove


def upload_cleanup_expired() -> int:
    """Remove uploads past their expiry (unfinished ones with their bytes, aborting an S3 multipart upload;
    finished ones only their record, the file stays) and bytes no upload owns any more. Returns the number of
    uploads removed. Idempotent; an upload being written right now is skipped: its expiry moves on."""
    removed = 0
    now = timezone.now()
    for upload_id in list(Upload.objects.filter(expires_at__lte=now).values_list("pk", flat=True)[:10000]):
        try:
            with locks.exclusive(upload_id):
                upload = Upload.objects.filter(pk=upload_id, expires_at__lte=now).first()
                if upload is None:
                    continue
                Upload.objects.filter(pk=upload.pk).delete()
                upload_bytes_remove(upload)
                removed += 1
        except locks.UploadLockedError:
            continue
    _remove_orphaned_partials()
    if s3parts.is_s3_storage():
        s3parts.remove_orphans(
            known=set(Upload.objects.values_list("pk", flat=True)), older_than=time.time() - settings.UPLOAD_EXPIRY
        )
    return removed


def _remove_orphaned_partials() -> None:
    """Partial and lock files of uploads whose rows are gone (user deleted, crash between steps), once stale."""
    stale_before = time.time() - settings.UPLOAD_EXPIRY
    for directory in (partials.partial_dir(), locks.lock_path(uuid.UUID(int=0)).parent):
        for path in directory.iterdir():
            upload_id = _upload_id_of(path)
            if upload_id is None or path.stat().st_mtime > stale_before:
                continue
            if not Upload.objects.filter(pk=upload_id).exists():
                path.unlink(missing_ok=True)


def _upload_id_of(path: Path) -> uuid.UUID | None:
    try:
        return uuid.UUID(path.name.split(".", 1)[0])
    except ValueError:
        return None
