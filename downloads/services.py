"""Writes of files, signed links, downloads and quotas. Reads live in selectors.py."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files import File as DjangoFile
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from audit.services import record
from core.cache import replace_marker_on_commit
from core.errors import ApplicationError, ConflictError, PayloadTooLargeError, PreconditionFailedError, ValidationError
from downloads import selectors
from downloads.blobs import (
    BlobWriter,
    ContentHasher,
    delete_blob,
    files_storage,
    hash_stream,
    new_storage_name,
    sanitize_filename,
    sniff_content_type,
    storage_space,
    valid_content_type,
)
from downloads.links import link_token
from downloads.models import Download, DownloadStatus, File, FileLink, StorageQuota

QUOTA_EXCEEDED = "quota_exceeded"
BODY_BLOCK_SIZE = 256 * 1024  # bytes read from a request body at a time


def quota_for(owner: Any) -> int:
    row = StorageQuota.objects.filter(owner=owner).values_list("max_bytes", flat=True).first()
    return settings.FILES_USER_QUOTA if row is None else row


def quota_used(owner: Any) -> int:
    return File.objects.filter(owner=owner).aggregate(total=Sum("size"))["total"] or 0


def quota_ensure_available(*, owner: Any, additional_bytes: int, reserved_bytes: int = 0) -> None:
    """Raise 413 `quota_exceeded` unless `owner` may store `additional_bytes` more.

    `reserved_bytes` counts bytes promised elsewhere but not yet stored as files (uploads in flight).
    The per-user limit is the owner's StorageQuota row, else settings.FILES_USER_QUOTA.
    """
    limit = quota_for(owner)
    used = quota_used(owner)
    if used + reserved_bytes + additional_bytes > limit:
        raise PayloadTooLargeError(
            f"Storage quota exceeded: {used + reserved_bytes} of {limit} bytes in use, "
            f"{additional_bytes} more requested.",
            code=QUOTA_EXCEEDED,
        )


def _lock_owner(owner: Any) -> None:
    # Serializes quota checks of one user's concurrent writes (PostgreSQL row lock; SQLite locks the db).
    get_user_model().objects.select_for_update().filter(pk=owner.pk).first()


def quota_lock(*, owner: Any) -> None:
    """Take the owner's quota lock until the end of the caller's transaction (other apps' reservations)."""
    _lock_owner(owner)


def _file_insert(
    *, owner: Any, name: str, blob_name: str, hasher: ContentHasher, sha256: str, content_type: str, request: Any
) -> File:
    _lock_owner(owner)
    quota_ensure_available(owner=owner, additional_bytes=hasher.size)
    now = timezone.now()
    file = File(
        owner=owner,
        name=name,
        size=hasher.size,
        content_type=content_type,
        sha256=sha256,
        storage_name=blob_name,
        chunk_size=hasher.chunk_size,
        chunks=hasher.chunks,
        created_at=now,
        modified_at=now,
    )
    file.full_clean()
    file.save(force_insert=True)
    record(
        "file.uploaded",
        actor=owner,
        target=file,
        metadata={"name": file.name, "size": file.size, "sha256": file.sha256},
        request=request,
    )
    return file


def file_list_changed(*, owner_id: object) -> None:
    """After the current transaction commits, every remembered copy of the owner's file list is stale: this
    process drops its own and replaces the owner's marker for every other (downloads.selectors). Runs for each
    write of a File row: saves and deletes (cascades included) through downloads.apps, queryset updates where
    they are made."""
    replace_marker_on_commit(
        selectors.file_list_marker_key(owner_id),
        selectors.FILE_LIST_MARKER_TTL,
        also=lambda: selectors.file_list_forget(owner_id),
    )


class _LocalSource(DjangoFile):
    # FileSystemStorage moves (renames) a file that has a temporary_file_path instead of copying it.
    def temporary_file_path(self) -> str:
        return self.name


def file_create_from_local_path(
    *,
    owner: Any,
    name: str,
    source_path: str,
    content_type: str | None = None,
    sha256: str | None = None,
    request: Any = None,
) -> File:
    """Make a complete file on local disk a stored File of `owner`; the source is consumed.

    The source is hashed once (whole sha256 and chunk manifest; a given `sha256` must match, else 409
    `checksum_mismatch`), then moved into a local storage or streamed into a remote one, then the row is
    created with its audit event. On any failure the blob is deleted and no row exists.
    """
    quota_ensure_available(owner=owner, additional_bytes=os.path.getsize(source_path))
    with open(source_path, "rb") as source:
        hasher = hash_stream(source)
    digest, _ = hasher.finish()
    if sha256 is not None and sha256.lower() != digest:
        raise ConflictError("The content does not match the given sha256.", code="checksum_mismatch")
    display_name = sanitize_filename(name)
    blob_name = ""
    try:
        with open(source_path, "rb") as source, storage_space():
            blob_name = files_storage().save(new_storage_name(), _LocalSource(source, name=source_path))
        with transaction.atomic():
            file = _file_insert(
                owner=owner,
                name=display_name,
                blob_name=blob_name,
                hasher=hasher,
                sha256=digest,
                content_type=valid_content_type(content_type) or sniff_content_type(hasher.head, display_name),
                request=request,
            )
    except BaseException:
        if blob_name:
            delete_blob(blob_name)
        raise
    if os.path.exists(source_path):  # streamed to a remote storage rather than moved
        os.remove(source_path)
    return file


def file_create_from_blob(*, owner: Any, name: str, writer: BlobWriter, request: Any = None) -> File:
    """Register a blob already written (and hashed) by a BlobWriter; on failure the blob is deleted."""
    return file_create_from_stored_blob(
        owner=owner, name=name, blob_name=writer.name, hasher=writer.hasher, request=request
    )


def file_create_from_stored_blob(
    *,
    owner: Any,
    name: str,
    blob_name: str,
    hasher: ContentHasher,
    content_type: str | None = None,
    request: Any = None,
) -> File:
    """Register a blob already in the storage whose bytes `hasher` has seen; on failure the blob is deleted.

    `content_type` (a client's claim) is kept only if it is a valid media type, else the bytes are sniffed.
    """
    display_name = sanitize_filename(name)
    sha256, _ = hasher.finish()
    try:
        with transaction.atomic():
            return _file_insert(
                owner=owner,
                name=display_name,
                blob_name=blob_name,
                hasher=hasher,
                sha256=sha256,
                content_type=valid_content_type(content_type) or sniff_content_type(hasher.head, display_name),
                request=request,
            )
    except BaseException:
        delete_blob(blob_name)
        raise


def blob_write_stream(*, blocks: Iterable[bytes], max_size: int) -> BlobWriter:
    """Stream `blocks` into a new blob, refusing (413) past `max_size`; the blob is gone if anything fails."""
    writer = BlobWriter()
    try:
        for block in blocks:
            if writer.hasher.size + len(block) > max_size:
                raise PayloadTooLargeError(f"The content is larger than {max_size} bytes.")
            writer.write(block)
        writer.close()
    except BaseException:
        writer.abort()
        raise
    return writer


def file_replace_from_body(
    *, file: File, read: Callable[[int], bytes], length: int, expected_sha256: str | None, request: Any = None
) -> File:
    """Replace `file`'s content with the `length` bytes of a raw request body, streamed (never whole in
    memory): 413 past MAX_UPLOAD_SIZE or the owner's quota before a byte is stored, 400 `incomplete_body`
    when the body ends early; then as file_replace_content."""
    if length > settings.MAX_UPLOAD_SIZE:
        raise PayloadTooLargeError(f"The content is larger than {settings.MAX_UPLOAD_SIZE} bytes.")
    quota_ensure_available(owner=file.owner, additional_bytes=length - file.size)
    writer = blob_write_stream(blocks=iter(lambda: read(BODY_BLOCK_SIZE), b""), max_size=length)
    if writer.hasher.size != length:
        writer.abort()
        raise ApplicationError("The body ended before Content-Length bytes.", code="incomplete_body")
    return file_replace_content(file=file, writer=writer, expected_sha256=expected_sha256, request=request)


def file_replace_content(
    *, file: File, writer: BlobWriter, expected_sha256: str | None = None, request: Any = None
) -> File:
    """Point `file` at the new blob: new sha256 and ETag; its links die, downloads of other versions go stale.

    `expected_sha256`: the version the caller's preconditions were checked against; if another replace
    committed in between, 412 rather than a lost update. On any failure the new blob is deleted.
    """
    sha256, chunks = writer.hasher.finish()
    old_blob = file.storage_name
    try:
        with transaction.atomic():
            _lock_owner(file.owner)
            file = File.objects.select_for_update().get(pk=file.pk)
            if expected_sha256 is not None and file.sha256 != expected_sha256:
                raise PreconditionFailedError("The file changed while the new content was being received.")
            quota_ensure_available(owner=file.owner, additional_bytes=writer.hasher.size - file.size)
            old = {"size": file.size, "sha256": file.sha256}
            file.size = writer.hasher.size
            file.sha256 = sha256
            file.chunks = chunks
            file.chunk_size = writer.hasher.chunk_size
            file.storage_name = writer.name
            file.content_type = sniff_content_type(writer.hasher.head, file.name)
            file.modified_at = timezone.now()
            file.corrupted_at = None
            file.save()
            FileLink.objects.filter(file=file).delete()
            Download.objects.filter(file=file).exclude(etag=file.etag).exclude(status=DownloadStatus.COMPLETED).update(
                status=DownloadStatus.STALE, updated_at=file.modified_at
            )
            record(
                "file.replaced",
                target=file,
                changes={"size": [old["size"], file.size], "sha256": [old["sha256"], file.sha256]},
                request=request,
            )
            transaction.on_commit(lambda: delete_blob(old_blob))
    except BaseException:
        delete_blob(writer.name)
        raise
    return file


@transaction.atomic
def file_delete(*, file: File, request: Any = None) -> None:
    """Delete the row (its links and downloads with it) and, once committed, the blob."""
    record("file.deleted", target=file, metadata={"name": file.name, "size": file.size}, request=request)
    blob = file.storage_name
    file.delete()
    transaction.on_commit(lambda: delete_blob(blob))


@transaction.atomic
def link_create(*, file: File, expires_in: int, request: Any = None) -> tuple[FileLink, str]:
    """A signed link row and its token; the token itself is never stored nor audited."""
    link = FileLink.objects.create(
        file=file,
        created_by=getattr(request, "user", None) if request is not None else None,
        etag=file.etag,
        expires_at=timezone.now() + timedelta(seconds=expires_in),
    )
    metadata = {"link_id": str(link.id), "expires_in": expires_in}
    record("file.link.created", target=file, metadata=metadata, request=request)
    return link, link_token(link)


@transaction.atomic
def link_revoke(*, link: FileLink, request: Any = None) -> None:
    """Delete the link's row: its token answers 410 from the next request on (downloads.links)."""
    record("file.link.revoked", target=link.file, metadata={"link_id": str(link.id)}, request=request)
    link.delete()


@transaction.atomic
def download_create(*, owner: Any, file: File) -> Download:
    return Download.objects.create(
        owner=owner,
        file=file,
        etag=file.etag,
        size=file.size,
        sha256=file.sha256,
        chunk_size=file.chunk_size,
        chunks=file.chunks,
    )


def _ensure_open(download: Download) -> None:
    if download.status in (DownloadStatus.COMPLETED, DownloadStatus.STALE):
        raise ConflictError(f"The download is {download.status}.", code=f"download_{download.status}")


@transaction.atomic
def download_update_progress(*, download: Download, bytes_received: int) -> Download:
    download = Download.objects.select_for_update().get(pk=download.pk)
    _ensure_open(download)
    if bytes_received > download.size:
        raise ValidationError({"bytes_received": "bytes_received is larger than the file."}, code="beyond_size")
    download.bytes_received = bytes_received
    download.status = DownloadStatus.IN_PROGRESS
    download.updated_at = timezone.now()
    download.save(update_fields=["bytes_received", "status", "updated_at"])
    return download


def download_complete(*, download: Download, sha256: str, request: Any = None) -> Download:
    """`completed` when the client's sha256 matches the pinned version, else `failed` and 409."""
    with transaction.atomic():
        download = Download.objects.select_for_update().get(pk=download.pk)
        _ensure_open(download)
        download.updated_at = timezone.now()
        if sha256.lower() != download.sha256:
            download.status = DownloadStatus.FAILED
            download.save(update_fields=["status", "updated_at"])
        else:
            download.status = DownloadStatus.COMPLETED
            download.bytes_received = download.size
            download.completed_at = download.updated_at
            download.save(update_fields=["status", "bytes_received", "updated_at", "completed_at"])
            record("download.completed", target=download, metadata={"file_id": str(download.file_id)}, request=request)
    if download.status == DownloadStatus.FAILED:
        raise ConflictError("The sha256 does not match the file; the download failed.", code="checksum_mismatch")
    return download


@transaction.atomic
def download_delete(*, download: Download) -> None:
    download.delete()
