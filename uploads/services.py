"""Writes of uploads: create, append (the tus PATCH), complete into a file, concatenate, terminate, clean up.

The bytes go to a store (uploads.partials on the local disk, uploads.s3parts on S3). Durable state (offset,
the resumable content hash, the store's parts) changes only by `_commit`, a compare-and-set on the offset.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.http import http_date

from accounts.models import User
from audit.services import record
from core.errors import (
    ApplicationError,
    ConflictError,
    GoneError,
    InsufficientStorageError,
    PayloadTooLargeError,
    PermissionDeniedError,
)
from core.selectors import first_or_not_found
from downloads import services as file_services
from downloads.blobs import BlobWriter, ContentHasher, delete_blob, valid_content_type
from uploads import locks
from uploads.hashing import ResumableHasher
from uploads.models import Concat, Upload
from uploads.partials import LocalStore
from uploads.receiving import Sink, receive
from uploads.s3parts import S3Store, is_s3_storage
from uploads.selectors import upload_reserved_bytes
from uploads.tus import Checksum, ChecksumMismatchError

_NAME_MAX = 255  # Upload.filename; the files service sanitizes the name when the file is made
_COPY_BLOCK = 1024 * 1024


def _expiry() -> datetime.datetime:
    return timezone.now() + datetime.timedelta(seconds=settings.UPLOAD_EXPIRY)


def _store(upload: Upload) -> LocalStore | S3Store:
    # The store an upload began in, whatever the configuration says now.
    return S3Store() if upload.store_state.get("key") else LocalStore()


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


def _ensure_size(length: int) -> None:
    if length > settings.MAX_UPLOAD_SIZE:
        raise PayloadTooLargeError(
            f"Upload-Length exceeds Tus-Max-Size ({settings.MAX_UPLOAD_SIZE} bytes).", code="upload_too_large"
        )


def _reserve(*, owner: User, length: int) -> None:
    """Under the owner's quota lock (the caller's transaction): 413 unless `length` more bytes fit, counting
    the uploads still in progress, so parallel creations cannot together pass the quota."""
    file_services.quota_lock(owner=owner)
    file_services.quota_ensure_available(
        owner=owner, additional_bytes=length, reserved_bytes=upload_reserved_bytes(owner=owner)
    )


def _new_upload(*, owner: User, length: int | None, metadata: dict[str, str | None], **fields: Any) -> Upload:
    return Upload(
        owner=owner,
        length=length,
        filename=(metadata.get("filename") or metadata.get("name") or "")[:_NAME_MAX],  # sanitized later
        # A client's claim, kept only if it is a media type: it becomes a Content-Type header.
        content_type=valid_content_type(metadata.get("filetype") or metadata.get("type")) or "",
        metadata=metadata,
        expires_at=_expiry(),
        **fields,
    )


def upload_create(
    *,
    owner: User,
    length: int | None,
    metadata: dict[str, str | None],
    concat: str = Concat.NONE,
    request: Any = None,
) -> Upload:
    """A new upload of `length` bytes (tus creation; None: creation-defer-length), or a partial one
    (concatenation); 413 over MAX_UPLOAD_SIZE or the owner's quota, counting uploads in progress."""
    if length is not None:
        _ensure_size(length)
    store = S3Store() if is_s3_storage() else LocalStore()
    with transaction.atomic():
        _reserve(owner=owner, length=length or 0)
        upload = _new_upload(owner=owner, length=length, metadata=metadata, concat=concat)
        upload.full_clean()
        upload.store_state = store.begin(upload.pk)
        upload.save(force_insert=True)
        record(
            "upload.created",
            actor=owner,
            target=upload,
            metadata={"length": length, "filename": upload.filename, "concat": concat or None},
            request=request,
        )
    if length == 0:
        with locks.exclusive(upload.pk):
            _finish(upload, request=request)
    return upload


def upload_append(
    *,
    upload: Upload,
    offset: int,
    read: Callable[[int], bytes],
    content_length: int | None,
    checksum: Checksum | None = None,
    length: int | None = None,
    request: Any = None,
) -> Upload:
    """Append a PATCH body at `offset` (tus core): 409 on an offset mismatch or while another request
    writes, 410 when expired, 413 past Upload-Length, 460 (chunk discarded) on a checksum mismatch, 403 for a
    final (concatenated) upload. `length` is a deferred upload's Upload-Length, given once.

    `content_length` None means a chunked body. A body cut off midway keeps what arrived (unless a
    checksum was sent: then nothing can be verified and the chunk is discarded). The last byte turns the
    upload into a file (a partial upload only becomes complete).
    """
    with locks.exclusive(upload.pk):
        upload = _reload(upload.pk)
        ensure_upload_open(upload)
        if upload.concat == Concat.FINAL:
            raise PermissionDeniedError("A final upload is made of its partial uploads.", code="upload_is_final")
        if offset != upload.offset:
            raise ConflictError(
                f"Upload-Offset {offset} does not match the upload's offset {upload.offset}.", code="offset_mismatch"
            )
        if length is not None:
            _declare_length(upload, length)
        if upload.is_complete:  # a retry after the completing response was lost: nothing more fits
            if content_length != 0:
                raise _past_length(upload)
            return upload
        remaining = (upload.length if upload.length is not None else settings.MAX_UPLOAD_SIZE) - offset
        if content_length is not None and content_length > remaining:
            raise _past_length(upload)
        if content_length != 0:
            _write_body(upload, read=read, content_length=content_length, checksum=checksum, remaining=remaining)
        if upload.offset == upload.length:
            _finish(upload, request=request)
    return upload


def _declare_length(upload: Upload, length: int) -> None:
    """creation-defer-length: the PATCH that names the length (once, under the owner's quota lock)."""
    if upload.length is not None:
        if length != upload.length:
            raise ApplicationError("Upload-Length is already set for this upload.", code="upload_length_fixed")
        return
    _ensure_size(length)
    if length < upload.offset:
        raise ApplicationError("Upload-Length is below the bytes already received.", code="upload_length_invalid")
    with transaction.atomic():
        _reserve(owner=upload.owner, length=length - upload.offset)
        Upload.objects.filter(pk=upload.pk, length__isnull=True).update(length=length)
    upload.length = length


def _write_body(
    upload: Upload,
    *,
    read: Callable[[int], bytes],
    content_length: int | None,
    checksum: Checksum | None,
    remaining: int,
) -> None:
    """Stream the body in at the upload's offset, committing as it becomes durable (see upload_append)."""
    sink = _store(upload).sink(upload)
    hasher = ResumableHasher.from_state(upload.hash_state)
    start = upload.offset
    check = checksum.new_hasher() if checksum is not None else None

    def durable(received: int) -> None:
        if received <= remaining:  # a chunked body's extra byte is refused below, never committed
            _commit(upload, sink, offset=start + received, hasher=hasher, state=sink.state())

    try:
        appended = receive(
            sink,
            read=read,
            limit=content_length if content_length is not None else remaining + 1,
            expected=content_length,
            hasher=hasher,
            check=check,
            on_durable=durable,
        )
        over = appended.received > remaining
        unverified = checksum is not None and (appended.interrupted or not checksum.matches(check))
        if over or unverified or (appended.disk_full and checksum is not None):
            sink.discard()
        else:
            last = upload.length is not None and start + appended.received == upload.length
            _commit(upload, sink, offset=start + appended.received, hasher=hasher, state=sink.flush(last=last))
    finally:
        sink.close()
    if appended.disk_full:
        raise InsufficientStorageError("The storage is full; the upload keeps the bytes stored before.")
    if over:
        raise _past_length(upload)
    if unverified:
        raise ChecksumMismatchError(f"The body does not match its {checksum.algorithm} Upload-Checksum; discarded.")


def _commit(upload: Upload, sink: Sink, *, offset: int, hasher: ResumableHasher, state: dict[str, Any]) -> None:
    """Make `offset` and the state that vouches for it durable, if nobody else moved the offset meanwhile
    (a writer that lost its lock: the offset, which only grows, is the fencing token)."""
    if offset == upload.offset:
        return
    expires_at = _expiry()
    updated = Upload.objects.filter(pk=upload.pk, offset=upload.offset).update(
        offset=offset, hash_state=hasher.state(), store_state=state, expires_at=expires_at
    )
    if not updated:
        sink.discard()
        raise ConflictError("Another request wrote to this upload meanwhile.", code="offset_mismatch")
    sink.committed()
    upload.offset, upload.hash_state, upload.store_state, upload.expires_at = offset, hasher.state(), state, expires_at


def _reload(upload_id: uuid.UUID) -> Upload:
    # Terminated or cleaned up while this request waited: 404.
    queryset = Upload.objects.select_related("owner").filter(pk=upload_id)
    return first_or_not_found(queryset, "No such upload.", code="upload_not_found")


def _past_length(upload: Upload) -> PayloadTooLargeError:
    if upload.length is None:
        return PayloadTooLargeError(
            f"The body goes past Tus-Max-Size ({settings.MAX_UPLOAD_SIZE} bytes).", code="upload_too_large"
        )
    return PayloadTooLargeError(
        f"The body goes past Upload-Length ({upload.length} bytes, {upload.offset} received).",
        code="upload_length_exceeded",
    )


def _finish(upload: Upload, *, request: Any) -> None:
    """The last byte arrived: a partial upload is sealed; any other becomes a file, in one transaction with
    marking the upload complete. Safe to retry: if anything fails, the bytes stay where they were."""
    store = _store(upload)
    if upload.concat == Concat.PARTIAL:
        store.seal(upload)
        Upload.objects.filter(pk=upload.pk).update(completed_at=timezone.now(), expires_at=_expiry())
        upload.refresh_from_db(fields=["completed_at", "expires_at"])
        return
    blob = store.complete(upload)
    with transaction.atomic():
        file = file_services.file_create_from_stored_blob(
            owner=upload.owner,
            name=upload.filename or f"upload-{upload.pk}",
            blob_name=blob,
            hasher=ResumableHasher.from_state(upload.hash_state),
            content_type=upload.content_type or None,
            request=request,
        )
        _mark_complete(upload, file_id=file.pk)
        transaction.on_commit(lambda: store.remove(upload, keep_object=True))


def _mark_complete(upload: Upload, *, file_id: uuid.UUID) -> None:
    upload.file_id = file_id
    upload.completed_at = timezone.now()
    upload.expires_at = _expiry()
    upload.save(update_fields=["file_id", "completed_at", "expires_at"])


def upload_concatenate(
    *, owner: User, partial_ids: list[uuid.UUID], metadata: dict[str, str | None], request: Any = None
) -> Upload:
    """A final upload (concatenation): the owner's finished partial uploads, in order, become one file at once.

    400 when one is not the owner's finished partial upload (someone else's reads as missing); 409 while one
    is being written to. The partials are deleted with their bytes once the file exists.
    """
    partials = _partials_for_final(owner=owner, partial_ids=partial_ids)
    length = sum(partial.length or 0 for partial in partials)
    _ensure_size(length)
    with ExitStack() as held:
        for partial in sorted(partials, key=lambda item: item.pk):  # one order: no deadlock between finals
            held.enter_context(locks.exclusive(partial.pk))
        partials = _partials_for_final(owner=owner, partial_ids=partial_ids)  # still there, under the locks
        final_id = uuid.uuid4()
        blob_name, hasher = _concatenated_blob(partials, final_id=final_id)
        try:
            with transaction.atomic():
                upload = _new_upload(
                    id=final_id,
                    owner=owner,
                    length=length,
                    metadata=metadata,
                    offset=length,
                    concat=Concat.FINAL,
                    concat_of=[str(partial.pk) for partial in partials],
                )
                upload.full_clean()
                upload.save(force_insert=True)
                record(
                    "upload.created",
                    actor=owner,
                    target=upload,
                    metadata={"length": length, "filename": upload.filename, "concat": Concat.FINAL},
                    request=request,
                )
                file = file_services.file_create_from_stored_blob(
                    owner=owner,
                    name=upload.filename or f"upload-{upload.pk}",
                    blob_name=blob_name,
                    hasher=hasher,
                    content_type=upload.content_type or None,
                    request=request,
                )
                _mark_complete(upload, file_id=file.pk)
                Upload.objects.filter(pk__in=[partial.pk for partial in partials]).delete()
                for partial in partials:
                    transaction.on_commit(lambda partial=partial: _store(partial).remove(partial))
        except BaseException:
            delete_blob(blob_name)
            raise
    return upload


def _partials_for_final(*, owner: User, partial_ids: list[uuid.UUID]) -> list[Upload]:
    if not partial_ids or len(set(partial_ids)) != len(partial_ids):
        raise ApplicationError("Name each partial upload once.", code="concat_invalid")
    found = {
        upload.pk: upload
        for upload in Upload.objects.filter(owner=owner, pk__in=partial_ids, concat=Concat.PARTIAL).select_related(
            "owner"
        )
    }
    missing = [str(upload_id) for upload_id in partial_ids if upload_id not in found]
    if missing:
        raise ApplicationError(f"No such partial upload: {', '.join(missing)}.", code="concat_partial_not_found")
    unfinished = [str(upload_id) for upload_id in partial_ids if not found[upload_id].is_complete]
    if unfinished:
        raise ApplicationError(
            f"Partial uploads not finished yet: {', '.join(unfinished)}.", code="concat_partial_incomplete"
        )
    return [found[upload_id] for upload_id in partial_ids]


def _concatenated_blob(partials: list[Upload], *, final_id: uuid.UUID) -> tuple[str, ContentHasher]:
    """A new blob of the partials' bytes and their hash. On S3 the bucket assembles it (UploadPartCopy) where
    part sizes allow; otherwise the bytes are copied through here. Either way every byte is read once for
    the sha256 of the whole, which cannot be combined from the partials' hashes."""
    if all(isinstance(_store(partial), S3Store) for partial in partials):
        blob = S3Store().concatenate(partials, final_id=final_id)
        if blob is not None:
            try:
                hasher = ContentHasher()
                for partial in partials:
                    _copy_bytes(partial, hasher.update)
            except BaseException:
                delete_blob(blob)
                raise
            return blob, hasher
    writer = BlobWriter()
    try:
        for partial in partials:
            _copy_bytes(partial, writer.write)
        writer.close()
    except BaseException:
        writer.abort()
        raise
    return writer.name, writer.hasher


def _copy_bytes(partial: Upload, write: Callable[[bytes], None]) -> None:
    source = _store(partial).open_bytes(partial)
    try:
        for block in iter(lambda: source.read(_COPY_BLOCK), b""):
            write(block)
    finally:
        source.close()


def upload_terminate(*, upload: Upload, request: Any = None) -> None:
    """Delete an upload and its bytes (tus termination; an S3 multipart upload is aborted at once); 409
    while a PATCH is writing to it. A file the upload already became stays."""
    with locks.exclusive(upload.pk), transaction.atomic():
        record(
            "upload.terminated",
            target=upload,
            metadata={"offset": upload.offset, "length": upload.length, "completed": upload.is_complete},
            request=request,
        )
        Upload.objects.filter(pk=upload.pk).delete()
        transaction.on_commit(lambda: upload_bytes_remove(upload))


def upload_bytes_remove(upload: Upload) -> None:
    _store(upload).remove(upload, keep_object=upload.file_id is not None)
    locks.remove_lock_file(upload.pk)
