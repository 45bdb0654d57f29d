"""Fixtures of the uploads tests: an S3 bucket on moto's server (one per test) for the S3 store."""

import boto3
import pytest

from config.settings.files import files_storage as storage_setting
from tests.downloads.test_storage_s3 import moto_endpoint  # noqa: F401 - a module-scoped fixture, reused

BUCKET = "uploads-test"


def bucket_url(endpoint: str) -> str:
    return f"s3://{BUCKET}?endpoint_url={endpoint}&region_name=us-east-1&access_key=test&secret_key=test"


def s3_client(endpoint: str):
    return boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    )


def empty_bucket(client) -> None:
    for pending in client.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []):
        client.abort_multipart_upload(Bucket=BUCKET, Key=pending["Key"], UploadId=pending["UploadId"])
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])


@pytest.fixture
def s3_bucket(settings, moto_endpoint):  # noqa: F811
    """The `files` storage on a fresh bucket; yields a boto3 client of it."""
    settings.STORAGES = {**settings.STORAGES, "files": storage_setting(bucket_url(moto_endpoint))}
    client = s3_client(moto_endpoint)
    client.create_bucket(Bucket=BUCKET)
    yield client
    empty_bucket(client)
    client.delete_bucket(Bucket=BUCKET)
