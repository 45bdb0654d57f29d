"""Reads of uploads, scoped to their owner so outsiders get 404."""

from __future__ import annotations

import uuid

from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from core.selectors import first_or_not_found
from uploads.models import Concat, Upload


def upload_get_for_user(*, user: User, upload_id: uuid.UUID) -> Upload:
    """The caller's upload, or 404 (also when it is someone else's)."""
    return first_or_not_found(
        Upload.objects.filter(owner=user, pk=upload_id), "No such upload.", code="upload_not_found"
    )


def upload_reserved_bytes(*, owner: User) -> int:
    """Bytes the owner's unexpired uploads will occupy that are no file yet: the whole declared length of the
    unfinished ones (the bytes received so far while the length is deferred), and finished partial uploads
    waiting for their final."""
    active = Upload.objects.filter(
        Q(completed_at__isnull=True) | Q(concat=Concat.PARTIAL), owner=owner, expires_at__gt=timezone.now()
    )
    return active.aggregate(total=Coalesce(Sum(Coalesce("length", "offset")), 0))["total"]
