"""Reads of files and downloads, scoped to what the caller may see (others' objects are simply not there)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from core.selectors import first_or_not_found
from downloads.models import Download, File, FileLink

# Held by the admin role (and superusers): decided from permissions, as they are now, not from the role
# field, which a cached copy of the user could still show after a demotion.
MANAGE_ALL_PERMISSION = "downloads.change_file"


def manages_all(user: Any) -> bool:
    """Admins manage every user's files and downloads."""
    return bool(user.has_perm(MANAGE_ALL_PERMISSION))


def file_list_for(*, user: Any) -> QuerySet[File]:
    files = File.objects.all()
    return files if manages_all(user) else files.filter(owner_id=user.pk)


def file_get_for(*, user: Any, file_id: Any) -> File:
    return first_or_not_found(file_list_for(user=user).filter(pk=file_id), "No such file.")


def link_list_for(*, file: File) -> QuerySet[FileLink]:
    """The file's live links (unexpired, for its current content), newest first."""
    return FileLink.objects.filter(file=file, etag=file.etag, expires_at__gt=timezone.now()).order_by(
        "-created_at", "id"
    )


def link_get_for(*, file: File, link_id: Any) -> FileLink:
    return first_or_not_found(FileLink.objects.filter(file=file, pk=link_id), "No such link.")


def download_list_for(*, user: Any) -> QuerySet[Download]:
    downloads = Download.objects.select_related("file")
    return downloads if manages_all(user) else downloads.filter(owner_id=user.pk)


def download_get_for(*, user: Any, download_id: Any) -> Download:
    return first_or_not_found(download_list_for(user=user).filter(pk=download_id), "No such download.")
