"""Factories of stored files and downloads: real blobs in the `files` storage."""

from __future__ import annotations

import os
import tempfile

from downloads.models import Download, File
from downloads.services import download_create, file_create_from_local_path
from tests.accounts.factories import UserFactory


def make_file(*, owner=None, content: bytes = b"hello world", name: str = "hello.txt", **kwargs) -> File:
    """A File stored through the public service, as an upload would store it."""
    owner = owner or UserFactory()
    handle, path = tempfile.mkstemp()
    with os.fdopen(handle, "wb") as out:
        out.write(content)
    return file_create_from_local_path(owner=owner, name=name, source_path=path, **kwargs)


def make_download(*, owner=None, file: File | None = None) -> Download:
    file = file or make_file(owner=owner)
    return download_create(owner=owner or file.owner, file=file)
