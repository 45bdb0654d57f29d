"""The same API over an S3-compatible bucket (moto's server mode), configured through STORAGE_URL."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import time

import boto3
import pytest
import requests

from config.settings.files import files_storage as storage_setting
from downloads.blobs import files_storage
from downloads.models import File
from downloads.services import file_create_from_local_path
from tests.downloads.conftest import CONTENT, body_of
from tests.downloads.factories import make_file
from tests.support.servers import free_port

pytestmark = pytest.mark.django_db

BUCKET = "files-test"


@pytest.fixture(scope="module")
def moto_endpoint():
    binary = shutil.which("moto_server") or os.path.join(os.path.dirname(os.sys.executable), "moto_server")
    if not os.path.exists(binary):
        pytest.skip("moto_server is not installed (requirements-dev.txt: moto[server])")
    port = free_port()
    command = [binary, "-H", "127.0.0.1", "-p", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(endpoint, timeout=5)
                break
            except requests.RequestException:  # refused while starting, or slow to answer on a busy machine
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.skip(f"moto_server could not start: {process.stderr.read().decode()[-500:]}")
                time.sleep(0.1)
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def s3(settings, moto_endpoint):
    url = f"s3://{BUCKET}?endpoint_url={moto_endpoint}&region_name=us-east-1&access_key=test&secret_key=test"
    settings.STORAGES = {**settings.STORAGES, "files": storage_setting(url)}
    credentials = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
    client = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1", **credentials)
    client.create_bucket(Bucket=BUCKET)
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def _keys(s3) -> list[str]:
    return [item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def test_s3__upload_streams_into_bucket(s3, user_client, settings):
    settings.FILES_CHUNK_SIZE = 5 * 1024 * 1024
    content = os.urandom(12 * 1024 * 1024)  # several S3 multipart parts
    upload = io.BytesIO(content)
    upload.name = "big.bin"

    response = user_client.post("/api/v1/files/", {"file": upload}, format="multipart")

    assert response.status_code == 201
    file = File.objects.get(pk=response.json()["id"])
    assert _keys(s3) == [file.storage_name]
    assert s3.get_object(Bucket=BUCKET, Key=file.storage_name)["Body"].read() == content
    assert file.sha256 == hashlib.sha256(content).hexdigest()
    assert len(file.chunks) == 3


def test_s3__refused_upload__leaves_no_object(s3, user_client, settings):
    settings.MAX_UPLOAD_SIZE = 1000
    upload = io.BytesIO(b"x" * 1001)
    upload.name = "big.bin"

    response = user_client.post("/api/v1/files/", {"file": upload}, format="multipart")

    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert _keys(s3) == []


def test_s3__serving_ranges_from_bucket(s3, user, user_client):
    file = make_file(owner=user, content=CONTENT)
    url = f"/api/v1/files/{file.pk}/content/"

    whole = user_client.get(url)
    part = user_client.get(url, HTTP_RANGE="bytes=10-19")
    several = user_client.get(url, HTTP_RANGE="bytes=0-1,-2")

    assert body_of(whole) == CONTENT
    assert (part.status_code, body_of(part)) == (206, CONTENT[10:20])
    assert several.status_code == 206
    body = body_of(several)
    assert CONTENT[:2] in body and CONTENT[-2:] in body


def test_s3__file_create_from_local_path__streams_and_removes_source(s3, user, tmp_path):
    source = tmp_path / "done.bin"
    source.write_bytes(b"finished upload")

    file = file_create_from_local_path(owner=user, name="done.bin", source_path=str(source))

    assert not source.exists()
    assert s3.get_object(Bucket=BUCKET, Key=file.storage_name)["Body"].read() == b"finished upload"


def test_s3__replace_and_delete__old_objects_gone(s3, user, user_client, django_capture_on_commit_callbacks):
    file = make_file(owner=user, content=b"one")

    with django_capture_on_commit_callbacks(execute=True):
        user_client.put(f"/api/v1/files/{file.pk}/content/", b"two", content_type="application/octet-stream")
    file.refresh_from_db()
    assert _keys(s3) == [file.storage_name]
    with django_capture_on_commit_callbacks(execute=True):
        user_client.delete(f"/api/v1/files/{file.pk}/")

    assert _keys(s3) == []


def test_s3__presigned_redirect_when_enabled(s3, user, user_client, settings):
    settings.FILES_S3_REDIRECT = True
    file = make_file(owner=user, content=CONTENT)

    response = user_client.get(f"/api/v1/files/{file.pk}/content/")

    assert response.status_code == 302
    fetched = requests.get(response["Location"], timeout=10)
    assert fetched.content == CONTENT
    assert files_storage().exists(file.storage_name)
