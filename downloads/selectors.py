"""Reads of files and downloads, scoped to what the caller may see (others' objects are simply not there)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from core.memo import remember
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


# The first page of an owner's list as this process last rendered it: (marker, url, body). The owner's marker
# (`file_list_marker_key`) is a nonce on the shared cache that every write of one of the owner's File rows
# replaces after its commit (downloads.apps); a body is kept only under the marker its reader read before
# its query (core.cache.storable_marker), so one remembered under the current marker is the list as it is.
# Bounded: a page is at most 50 files, about 20 KB, so at most about 10 MB of bodies.
_LISTS: dict[str, tuple[str, str, bytes]] = {}
_LISTS_MAX = 512
# How long a marker lives: the bound on a stale list should a writer find the cache down after its commit.
FILE_LIST_MARKER_TTL = 300


def file_list_marker_key(owner_id: object) -> str:
    """The shared-cache key of the owner's file-list marker."""
    return f"files:rev:{owner_id}"


def remembered_file_list(owner_id: str, marker: object, url: str) -> bytes | None:
    """The rendered JSON body of `GET /api/v1/files/` (page 1, default page size, no query string) of an
    owner who manages only their own files, as this process remembers it under `marker` (the owner's
    current marker, read from the cache); None when it remembers none under that marker. No I/O.

    `url` is the request's absolute URL (`request.build_absolute_uri()`, no query string): the first page's
    `next` link is built from it, so a body is only given back for the URL it was rendered for."""
    remembered = _LISTS.get(str(owner_id))
    if remembered is None or not marker or remembered[0] != marker or remembered[1] != url:
        return None
    return remembered[2]


def file_list_remember(owner_id: str, marker: str, url: str, body: bytes) -> None:
    """Keep `body` as the owner's list under `marker`, which its reader read before querying the rows."""
    if marker:
        remember(_LISTS, str(owner_id), (marker, url, body), _LISTS_MAX)


def file_list_forget(owner_id: object) -> None:
    """Drop this process's copy of the owner's list (a write of theirs has committed)."""
    _LISTS.pop(str(owner_id), None)


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
