"""Writes of uploads: create, append (the tus PATCH), complete into a file, terminate, clean up."""

from __future__ import annotations

import datetime
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.http import http_date

from accounts.models import User
from audit.services import record
from core.errors import ConflictError, GoneError, InsufficientStorageError, NotFoundError, PayloadTooLargeError
from downloads import services as file_services
from uploads import partials
from uploads.models import Upload
from uploads.selectors import upload_reserved_bytes
from uploads.tus import Checksum, ChecksumMismatchError

_NAME_MAX = 255  # Upload.filename; the files service sanitizes the name when the file is made


def _expiry() -> datetime.datetime:
    return timezone.now() + datetime.timedelta(seconds=settings.UPLOAD_EXPIRY)


def upload_expires_header(upload: Upload) -> str:
    return http_date(upload.expires_at.timestamp())


def ensure_upload_open(upload: Upload) -> None:
    """410 for an unfinished upload past its expiry (a finished one stays readable until cleanup)."""
    if not upload.is_complete and upload.expires_at <= timezone.now():
        raise GoneError(
            "This upload expired; start a new one.",
            code="upload_expired",
            headers={"Upload-Expires": upload_expires_header(upload)},
        )


def upload_create(*, owner: User, length: int, metadata: dict[str, str | None], request: Any = None) -> Upload:
    """A new upload of `length` bytes (tus creation); 413 over MAX_UPLOAD_SIZE or the owner's quota,
    counting the uploads the owner still has in progress."""
    if length > settings.MAX_UPLOAD_SIZE:
        raise PayloadTooLargeError(
            f"Upload-Length exceeds Tus-Max-Size ({settings.MAX_UPLOAD_SIZE} bytes).", code="upload_too_large"
        )
    file_services.quota_ensure_available(
        owner=owner, additional_bytes=length, reserved_bytes=upload_reserved_bytes(owner=owner)
    )
    with transaction.atomic():
        upload = Upload(
            owner=owner,
            length=length,
            filename=(metadata.get("filename") or metadata.get("name") or "")[
                :_NAME_MAX
            ],  # sanitized by the files service
            content_type=(metadata.get("filetype") or metadata.get("type") or "")[:255],
            metadata=metadata,
            expires_at=_expiry(),
        )
        upload.full_clean()
        upload.save()
        record(
            "upload.created",
            actor=owner,
            target=upload,
            metadata={"length": length, "filename": upload.filename},
            request=request,
        )
        partials.create_partial(upload.pk)
    if length == 0:
        with partials.exclusive(upload.pk):
            _complete(upload, request=request)
    return upload


def upload_append(
    *,
    upload: Upload,
    offset: int,
    read: Callable[[int], bytes],
    content_length: int | None,
    checksum: Checksum | None = None,
    request: Any = None,
) -> Upload:
    """Append a PATCH body at `offset` (tus core): 409 on an offset mismatch or while another request
    writes, 410 when expired, 413 past Upload-Length, 460 (chunk discarded) on a checksum mismatch.

    `content_length` None means a chunked body. A body cut off midway keeps what arrived (unless a
    checksum was sent: then nothing can be verified and the chunk is discarded). The last byte turns the
    upload into a file.
    """
    with partials.exclusive(upload.pk):
        upload = _reload(upload.pk)
        ensure_upload_open(upload)
        if offset != upload.offset:
            raise ConflictError(
                f"Upload-Offset {offset} does not match the upload's offset {upload.offset}.", code="offset_mismatch"
            )
        if upload.is_complete:  # a retry after the completing response was lost: nothing more fits
            if content_length != 0:
                raise _past_length(upload)
            return upload
        if content_length is not None and content_length > upload.length - offset:
            raise _past_length(upload)
        upload.offset = offset + _write_body(upload, read=read, content_length=content_length, checksum=checksum)
        upload.expires_at = _expiry()
        upload.save(update_fields=["offset", "expires_at"])
        if upload.offset == upload.length:
            _complete(upload, request=request)
    return upload


def _write_body(
    upload: Upload, *, read: Callable[[int], bytes], content_length: int | None, checksum: Checksum | None
) -> int:
    """Stream the body in at the upload's offset; returns the bytes kept (see upload_append)."""
    offset, remaining = upload.offset, upload.length - upload.offset
    hasher = checksum.new_hasher() if checksum is not None else None
    appended = partials.append(
        upload.pk,
        offset=offset,
        read=read,
        limit=content_length if content_length is not None else remaining + 1,
        expected=content_length,
        on_chunk=hasher.update if hasher is not None else None,
        # With a checksum, nothing may count before the whole body is verified.
        on_checkpoint=None if checksum is not None else lambda received: _checkpoint(upload.pk, offset + received),
    )
    if appended.disk_full:
        # Keep what was stored whole (as for a cut-off body) unless a checksum needs the whole chunk.
        if checksum is None:
            _checkpoint(upload.pk, offset + appended.received)
        else:
            partials.truncate(upload.pk, offset)
        raise InsufficientStorageError("The storage is full; the upload keeps the bytes stored so far.")
    if appended.received > remaining:
        partials.truncate(upload.pk, offset)
        raise _past_length(upload)
    if checksum is not None and hasher is not None and (appended.interrupted or not checksum.matches(hasher)):
        partials.truncate(upload.pk, offset)
        raise ChecksumMismatchError(f"The body does not match its {checksum.algorithm} Upload-Checksum; discarded.")
    return appended.received


def _checkpoint(upload_id: uuid.UUID, offset: int) -> None:
    Upload.objects.filter(pk=upload_id).update(offset=offset)


def _reload(upload_id: uuid.UUID) -> Upload:
    upload = Upload.objects.select_related("owner").filter(pk=upload_id).first()
    if upload is None:  # terminated or cleaned up while this request waited
        raise NotFoundError("No such upload.", code="upload_not_found")
    return upload


def _past_length(upload: Upload) -> PayloadTooLargeError:
    return PayloadTooLargeError(
        f"The body goes past Upload-Length ({upload.length} bytes, {upload.offset} received).",
        code="upload_length_exceeded",
    )


@transaction.atomic
def _complete(upload: Upload, *, request: Any) -> None:
    """Turn the complete partial into a file, in one transaction with marking the upload complete.

    The files service moves the bytes it is given, so it gets a hard link: if anything fails, the
    partial is intact and the next PATCH (or HEAD-then-PATCH of zero bytes) retries.
    """
    source = partials.partial_path(upload.pk).with_suffix(".complete")
    source.unlink(missing_ok=True)
    os.link(partials.partial_path(upload.pk), source)
    try:
        file = file_services.file_create_from_local_path(
            owner=upload.owner,
            name=upload.filename or f"upload-{upload.pk}",
            source_path=str(source),
            content_type=upload.content_type or None,
            request=request,
        )
    finally:
        source.unlink(missing_ok=True)
    upload.file_id = file.pk
    upload.completed_at = timezone.now()
    upload.expires_at = _expiry()
    upload.save(update_fields=["file_id", "completed_at", "expires_at"])
    transaction.on_commit(lambda: partials.remove_partial(upload.pk))


def upload_terminate(*, upload: Upload, request: Any = None) -> None:
    """Delete an upload and its bytes (tus termination); 409 while a PATCH is writing to it."""
    with partials.exclusive(upload.pk), transaction.atomic():
        record(
            "upload.terminated",
            target=upload,
            metadata={"offset": upload.offset, "length": upload.length, "completed": upload.is_complete},
            request=request,
        )
        Upload.objects.filter(pk=upload.pk).delete()
        transaction.on_commit(lambda: partials.remove_partial(upload.pk))


def upload_cleanup_expired() -> int:
    """Remove uploads past their expiry (unfinished ones with their bytes; finished ones only their record,
    the file stays) and partial files no upload owns any more. Returns the number of uploads removed.

    Meant for `files_cleanup` (cron). An upload being written right now is skipped: its expiry moves on.
    """
    removed = 0
    now = timezone.now()
    for upload_id in list(Upload.objects.filter(expires_at__lte=now).values_list("pk", flat=True)[:10000]):
        try:
            with partials.exclusive(upload_id):
                deleted, _ = Upload.objects.filter(pk=upload_id, expires_at__lte=now).delete()
                if deleted:
                    partials.remove_partial(upload_id)
                    removed += 1
        except partials.UploadLockedError:
            continue
    _remove_orphaned_partials()
    return removed


def _remove_orphaned_partials() -> None:
    """Partial files of uploads whose rows are gone (user deleted, crash between steps), once stale."""
    stale_before = time.time() - settings.UPLOAD_EXPIRY
    for path in partials.partial_dir().iterdir():
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
