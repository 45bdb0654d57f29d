"""The S3 store of uploads in progress: the bytes live in the bucket, never on the instance's disk.

Modelled on tusd's s3store. An upload's bytes are the parts of one S3 multipart upload (created with the first
part) plus, between PATCHes, a "tail" object for the bytes below the 5 MiB part minimum. A request holds at
most one part in memory (UPLOADS_S3_PART_SIZE; the tail it starts from is below that), so any instance can
take the next PATCH: the durable state is the bucket plus `Upload.store_state`, committed with the offset.

Nothing committed is ever overwritten: part numbers come from the database (`Upload.parts_reserved`, never
reused) and each tail object has a unique name, so a writer that lost its lock cannot clobber another's bytes
(uploads.locks). Completion is CompleteMultipartUpload (S3 assembles the object; no byte passes through
here); an upload that never reached a part is put whole from memory.
"""

from __future__ import annotations

import copy
import uuid
from typing import IO, Any

from botocore.exceptions import ClientError
from django.conf import settings
from django.db import transaction
from django.db.models import F

from downloads.blobs import files_storage

MIN_PART = 5 * 1024 * 1024  # S3's minimum size of every part but the last
MAX_PARTS = 10000
MAX_PART = 5 * 1024**3  # S3's largest part (and largest UploadPartCopy source)
# Upload objects (and their tails) live apart from `blobs/`, which files_cleanup sweeps for orphans; the
# assembled object of a finished upload stays where it is and becomes the file's blob.
PREFIX = "uploads"


def is_s3_storage() -> bool:
    return getattr(files_storage(), "bucket", None) is not None


def _client_and_bucket() -> tuple[Any, str]:
    storage = files_storage()
    return storage.bucket.meta.client, storage.bucket_name


def _key(blob: str) -> str:
    return files_storage()._normalize_name(blob)  # django-storages' own name-to-key mapping (location prefix)


def _reserve_part_number(upload_id: uuid.UUID) -> int:
    from uploads.models import Upload  # here: the models module must not import the store at start-up

    with transaction.atomic():
        Upload.objects.filter(pk=upload_id).update(parts_reserved=F("parts_reserved") + 1)
        number = Upload.objects.filter(pk=upload_id).values_list("parts_reserved", flat=True).get()
    if number > MAX_PARTS:
        raise OSError(28, "the upload used up its S3 part numbers")  # reported as 507 like a full disk
    return number


class S3Sink:
    """One request's bytes: buffered up to a part, each full part uploaded; the rest becomes a tail object."""

    def __init__(self, upload: Any):
        self._client, self._bucket = _client_and_bucket()
        self._upload_id = upload.pk
        self._state = copy.deepcopy(upload.store_state)
        self._part_size = max(MIN_PART, settings.UPLOADS_S3_PART_SIZE)
        # The part being gathered: the request's chunks as read, joined once when it is sent (growing a
        # bytearray and copying it into bytes for botocore moved every byte twice).
        self._pieces: list[bytes] = []
        self._buffered = 0
        self._append(self._read_tail())
        self._dirty = False
        self._written: list[str] = []  # objects this request wrote, not yet committed
        self._obsolete: list[str] = []  # committed objects the next commit makes garbage

    def _read_tail(self) -> bytes:
        tail = self._state.get("tail")
        if not tail:
            return b""
        return self._client.get_object(Bucket=self._bucket, Key=tail["key"])["Body"].read()

    def _append(self, data: bytes) -> None:
        if data:
            self._pieces.append(data)
            self._buffered += len(data)

    def _joined(self) -> bytes:
        """The gathered bytes as one object, kept until `_forget_gathered` (a failed request loses nothing)."""
        self._pieces = [b"".join(self._pieces)]  # joining one bytes object again returns it, no copy
        return self._pieces[0]

    def _forget_gathered(self) -> None:
        self._pieces, self._buffered = [], 0

    def room(self) -> int:
        return self._part_size - self._buffered

    def write(self, data: bytes) -> bool:
        self._append(bytes(data))  # bytes(bytes) is no copy; another buffer is copied, as the part outlives it
        self._dirty = True
        if self._buffered >= self._part_size:
            self._upload_part()
            return True
        return False

    def _upload_part(self) -> None:
        state, key = self._state, self._state["key"]
        if not state.get("mpu"):
            state["mpu"] = self._client.create_multipart_upload(Bucket=self._bucket, Key=key)["UploadId"]
        number = _reserve_part_number(self._upload_id)
        body = self._joined()
        response = self._client.upload_part(
            Bucket=self._bucket, Key=key, UploadId=state["mpu"], PartNumber=number, Body=body
        )
        state["parts"].append([number, response["ETag"], len(body)])
        self._forget_gathered()
        self._drop_tail()

    def _drop_tail(self) -> None:
        if self._state.get("tail"):
            self._obsolete.append(self._state["tail"]["key"])
            self._state["tail"] = None

    def flush(self, *, last: bool) -> dict[str, Any]:
        if self._dirty and self._buffered:
            if last and not self._state["parts"]:  # small enough never to need a multipart upload
                self._put(self._state["key"])
                self._state["object"] = True
                self._drop_tail()
            elif last or self._buffered >= MIN_PART:
                self._upload_part()
            else:
                tail_key = f"{self._state['key']}.tail-{uuid.uuid4().hex}"
                size = self._put(tail_key)
                self._drop_tail()
                self._state["tail"] = {"key": tail_key, "size": size}
        self._dirty = False
        return self.state()

    def _put(self, key: str) -> int:
        body = self._joined()
        self._client.put_object(Bucket=self._bucket, Key=key, Body=body)
        self._written.append(key)
        self._forget_gathered()
        return len(body)

    def state(self) -> dict[str, Any]:
        return copy.deepcopy(self._state)

    def discard(self) -> None:
        # Uploaded but uncommitted parts stay in the multipart upload unlisted: completion leaves them out.
        for key in self._written:
            self._client.delete_object(Bucket=self._bucket, Key=key)
        self._written.clear()

    def committed(self) -> None:
        for key in self._obsolete:
            self._client.delete_object(Bucket=self._bucket, Key=key)
        self._obsolete.clear()
        self._written.clear()

    def close(self) -> None:
        self._forget_gathered()


class S3Store:
    """Uploads in progress as S3 multipart uploads (see the module docstring)."""

    name = "s3"

    def begin(self, upload_id: uuid.UUID) -> dict[str, Any]:
        blob = f"{PREFIX}/{upload_id}"
        return {"blob": blob, "key": _key(blob), "mpu": None, "parts": [], "tail": None}

    def sink(self, upload: Any) -> S3Sink:
        return S3Sink(upload)

    def complete(self, upload: Any) -> str:
        """Assemble the object in the bucket (CompleteMultipartUpload); its blob name. Safe to retry."""
        client, bucket = _client_and_bucket()
        state = upload.store_state
        if state.get("object"):
            return state["blob"]
        tail = state.get("tail")
        if not state["parts"]:  # an empty upload, or one whose length came when its bytes were a tail
            if tail:
                client.copy_object(Bucket=bucket, Key=state["key"], CopySource={"Bucket": bucket, "Key": tail["key"]})
            else:
                client.put_object(Bucket=bucket, Key=state["key"], Body=b"")
            return state["blob"]
        parts = [{"PartNumber": number, "ETag": etag} for number, etag, _size in state["parts"]]
        if tail:  # the length came after the last bytes (creation-defer-length): the tail is the last part
            number = _reserve_part_number(upload.pk)
            copied = client.upload_part_copy(
                Bucket=bucket,
                Key=state["key"],
                UploadId=state["mpu"],
                PartNumber=number,
                CopySource={"Bucket": bucket, "Key": tail["key"]},
            )
            parts.append({"PartNumber": number, "ETag": copied["CopyPartResult"]["ETag"]})
        try:
            client.complete_multipart_upload(
                Bucket=bucket, Key=state["key"], UploadId=state["mpu"], MultipartUpload={"Parts": parts}
            )
        except ClientError as error:
            # A retry after a completion whose commit failed: the object is there already.
            if error.response.get("Error", {}).get("Code") != "NoSuchUpload" or not self._exists(upload):
                raise
        return state["blob"]

    def _exists(self, upload: Any) -> bool:
        client, bucket = _client_and_bucket()
        try:
            head = client.head_object(Bucket=bucket, Key=upload.store_state["key"])
        except ClientError:
            return False
        return head["ContentLength"] == upload.offset

    def concatenate(self, partials: list[Any], *, final_id: uuid.UUID) -> str | None:
        """The blob name of a new object assembled in the bucket from the partials' objects (UploadPartCopy), or
        None when S3 cannot: a partial but the last below the part minimum, or one above the part maximum."""
        sizes = [partial.length for partial in partials]
        if any(size < MIN_PART for size in sizes[:-1]) or any(size > MAX_PART for size in sizes) or not sizes[-1]:
            return None
        client, bucket = _client_and_bucket()
        blob = f"{PREFIX}/{final_id}"
        key = _key(blob)
        mpu = client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
        try:
            parts = []
            for number, partial in enumerate(partials, start=1):
                source = {"Bucket": bucket, "Key": partial.store_state["key"]}
                copied = client.upload_part_copy(
                    Bucket=bucket, Key=key, UploadId=mpu, PartNumber=number, CopySource=source
                )
                parts.append({"PartNumber": number, "ETag": copied["CopyPartResult"]["ETag"]})
            client.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=mpu, MultipartUpload={"Parts": parts})
        except BaseException:
            client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=mpu)
            raise
        return blob

    def open_bytes(self, upload: Any) -> IO[bytes]:
        client, bucket = _client_and_bucket()
        return client.get_object(Bucket=bucket, Key=upload.store_state["key"])["Body"]

    def seal(self, upload: Any) -> None:
        """A finished partial upload (concatenation): its object is assembled, but becomes no file."""
        self.complete(upload)

    def remove(self, upload: Any, *, keep_object: bool = False) -> None:
        """Abort the multipart upload(s) and delete the tail objects; the object too unless `keep_object`."""
        state = upload.store_state
        if not state.get("key"):
            return
        client, bucket = _client_and_bucket()
        listing = client.list_multipart_uploads(Bucket=bucket, Prefix=state["key"])
        for pending in listing.get("Uploads", []):  # also any a writer that lost its commit created
            if pending["Key"] == state["key"]:
                client.abort_multipart_upload(Bucket=bucket, Key=pending["Key"], UploadId=pending["UploadId"])
        tails = client.list_objects_v2(Bucket=bucket, Prefix=f"{state['key']}.tail-").get("Contents", [])
        for item in tails:
            client.delete_object(Bucket=bucket, Key=item["Key"])
        if not keep_object:
            client.delete_object(Bucket=bucket, Key=state["key"])


def _upload_id_of_key(key: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(key.rsplit("/", 1)[-1].split(".", 1)[0])
    except ValueError:
        return None


def remove_orphans(*, known: set[uuid.UUID], older_than: float) -> None:
    """Abort multipart uploads and delete tail objects of uploads whose rows are gone (a user deleted, a
    crash between steps), once older than `older_than` (epoch seconds)."""
    client, bucket = _client_and_bucket()
    prefix = _key(f"{PREFIX}/x")[:-1]
    paginator = client.get_paginator("list_multipart_uploads")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for pending in page.get("Uploads", []):
            upload_id = _upload_id_of_key(pending["Key"])
            if upload_id not in known and pending["Initiated"].timestamp() < older_than:
                client.abort_multipart_upload(Bucket=bucket, Key=pending["Key"], UploadId=pending["UploadId"])
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            upload_id = _upload_id_of_key(item["Key"])
            if ".tail-" in item["Key"] and upload_id not in known and item["LastModified"].timestamp() < older_than:
                client.delete_object(Bucket=bucket, Key=item["Key"])
