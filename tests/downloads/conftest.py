"""Fixtures of the files and downloads tests: a stored file and its three byte endpoints."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from downloads.models import File
from downloads.services import download_create, link_create
from tests.downloads.factories import make_file

CONTENT = bytes(range(256)) * 3 + b"tail of the file" * 10  # 928 bytes, every byte value


@dataclass
class ByteEndpoint:
    """One of the three byte endpoints of a file, with the client allowed to call it."""

    name: str
    client: APIClient
    url: str

    def fetch(self, method: str = "get", **headers: str):
        meta = {f"HTTP_{key.upper().replace('-', '_')}": value for key, value in headers.items()}
        return getattr(self.client, method)(self.url, **meta)


def body_of(response) -> bytes:
    # Consuming a streamed body through the test client closes the response (and its file) by itself.
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def endpoint_for(kind: str, file: File, user_client: APIClient) -> ByteEndpoint:
    if kind == "files":
        return ByteEndpoint(kind, user_client, f"/api/v1/files/{file.pk}/content/")
    if kind == "link":
        _, token = link_create(file=file, expires_in=60)
        return ByteEndpoint(kind, APIClient(), f"/api/v1/d/{token}/")
    download = download_create(owner=file.owner, file=file)
    return ByteEndpoint(kind, user_client, f"/api/v1/downloads/{download.pk}/content/")


@pytest.fixture
def stored_file(user) -> File:
    return make_file(owner=user, content=CONTENT, name="données 1.bin")


@pytest.fixture(params=["files", "link", "downloads"])
def endpoint_kind(request) -> str:
    return request.param


@pytest.fixture
def byte_endpoint(endpoint_kind, stored_file, user_client) -> ByteEndpoint:
    return endpoint_for(endpoint_kind, stored_file, user_client)


@pytest.fixture
def endpoint_of(endpoint_kind, user_client) -> Callable[[File], ByteEndpoint]:
    return lambda file: endpoint_for(endpoint_kind, file, user_client)
