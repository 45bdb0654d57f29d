"""An upload in progress (tus): its declared length, the offset reached, its owner and expiry."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Concat(models.TextChoices):
    """tus concatenation: a partial upload is a piece of a final one; a final is made of partials."""

    NONE = "", "none"
    PARTIAL = "partial", "partial"
    FINAL = "final", "final"


class Upload(models.Model):
    """The state of one tus upload. The bytes received so far are in uploads.partials, not here.

    `file_id` is the id of the downloads File the upload became: a plain column, not a foreign key, so
    this app's migrations do not depend on the downloads app's.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="uploads")
    length = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Upload-Length: the size of the whole file; null while deferred."
    )
    offset = models.PositiveBigIntegerField(default=0, help_text="Bytes received and stored so far.")
    filename = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=255, blank=True)
    metadata = models.JSONField(default=dict, blank=True, help_text="The decoded Upload-Metadata.")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(help_text="Unfinished after this moment: 410, then removed by cleanup.")
    completed_at = models.DateTimeField(null=True, blank=True)
    file_id = models.UUIDField(null=True, blank=True, help_text="The file this upload became.")
    concat = models.CharField(max_length=7, choices=Concat.choices, default=Concat.NONE, blank=True)
    concat_of = models.JSONField(default=list, blank=True, help_text="A final upload's partial upload ids, in order.")
    # Durable state of the bytes up to `offset`, written with it: the resumable hasher (uploads.hashing) and the
    # store's own (uploads.s3parts: multipart upload id, parts, tail object). Never ahead of `offset`.
    hash_state = models.JSONField(default=dict, blank=True)
    store_state = models.JSONField(default=dict, blank=True)
    parts_reserved = models.PositiveIntegerField(default=0, help_text="S3 part numbers handed out (never reused).")

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["owner", "completed_at"], name="uploads_owner_completed_idx"),
            models.Index(fields=["expires_at"], name="uploads_expires_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(length__isnull=True) | models.Q(offset__lte=models.F("length")),
                name="uploads_offset_lte_length",
            ),
        ]

    def __str__(self) -> str:
        return f"upload {self.id} ({self.offset}/{self.length})"

    @property
    def is_deferred(self) -> bool:
        return self.length is None

    @property
    def is_complete(self) -> bool:
        return self.completed_at is not None
