"""Stored files, their signed links, downloads (the recovery API) and per-user quotas."""

from __future__ import annotations

import base64
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class File(models.Model):
    """A blob in the `files` storage with its metadata; the blob is named by `storage_name`.

    `sha256` is the hex digest of the whole content and gives the strong ETag; `chunks` is the manifest
    (hex sha256 of each `chunk_size` slice, computed once while the content is written).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=255, default="application/octet-stream")
    sha256 = models.CharField(max_length=64)
    storage_name = models.CharField(max_length=512, unique=True)
    chunk_size = models.PositiveIntegerField()
    chunks = models.JSONField(default=list, blank=True)
    # Set by `files_verify` when the stored bytes no longer hash to `sha256`.
    corrupted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # When the content last changed: the Last-Modified of the bytes.
    modified_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "id"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="downloads_file_owner_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def etag(self) -> str:
        return f'"{self.sha256}"'

    @property
    def repr_digest(self) -> str:
        return "sha-256=:" + base64.b64encode(bytes.fromhex(self.sha256)).decode() + ":"


class FileLink(models.Model):
    """A signed link's server side: deleting the row (or the file) revokes the link before it expires."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    file = models.ForeignKey(File, on_delete=models.CASCADE, related_name="links")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    etag = models.CharField(max_length=66)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["expires_at"], name="downloads_link_expires_idx")]

    def __str__(self) -> str:
        return f"link {self.id} to {self.file_id}"


class DownloadStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    STALE = "stale", "Stale"


class Download(models.Model):
    """A client's download of one version of a file: pinned to the ETag (and manifest) it started on."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="downloads")
    file = models.ForeignKey(File, on_delete=models.CASCADE, related_name="downloads")
    status = models.CharField(max_length=16, choices=DownloadStatus.choices, default=DownloadStatus.PENDING)
    etag = models.CharField(max_length=66)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    chunk_size = models.PositiveIntegerField()
    chunks = models.JSONField(default=list, blank=True)
    bytes_received = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="downloads_dl_owner_idx"),
            models.Index(fields=["status", "updated_at"], name="downloads_dl_status_idx"),
        ]

    def __str__(self) -> str:
        return f"download {self.id} of {self.file_id} ({self.status})"


class StorageQuota(models.Model):
    """A user's own storage quota in bytes; users without a row get settings.FILES_USER_QUOTA."""

    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="storage_quota"
    )
    max_bytes = models.PositiveBigIntegerField()

    def __str__(self) -> str:
        return f"quota of {self.owner_id}: {self.max_bytes} bytes"
