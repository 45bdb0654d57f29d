"""Reads of uploads, scoped to their owner so outsiders get 404."""

from __future__ import annotations

import uuid

from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from core.errors import NotFoundError
from uploads.models import Upload


def upload_get_for_user(*, user: User, upload_id: uuid.UUID) -> Upload:
    """The caller's upload, or 404 (also when it is someone else's)."""
    upload = Upload.objects.filter(owner=user, pk=upload_id).first()
    if upload is None:
        raise NotFoundError("No such upload.", code="upload_not_found")
    return upload


def upload_reserved_bytes(*, owner: User) -> int:
    """Bytes the owner's unfinished, unexpired uploads will occupy: their whole declared length, since
    the bytes already received are not counted as files yet either."""
    active = Upload.objects.filter(owner=owner, completed_at__isnull=True, expires_at__gt=timezone.now())
    return active.aggregate(total=Coalesce(Sum("length"), 0))["total"]
