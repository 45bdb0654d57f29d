from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.uploads.factories import make_upload
from uploads.models import Upload

pytestmark = pytest.mark.django_db


def test_uploads_cleanup__expired_upload__deleted_and_reported(user):
    expired = make_upload(owner=user)
    live = make_upload(owner=user)
    Upload.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    out = StringIO()

    call_command("uploads_cleanup", stdout=out)

    assert "deleted: 1 expired uploads" in out.getvalue()
    assert list(Upload.objects.values_list("pk", flat=True)) == [live.pk]


def test_uploads_cleanup__expired_upload_with_bytes__bytes_removed(user):
    from uploads.partials import partial_path

    expired = make_upload(owner=user, length=10, received=b"abc")
    Upload.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    call_command("uploads_cleanup", stdout=StringIO())

    assert not Upload.objects.filter(pk=expired.pk).exists()
    assert not partial_path(expired.pk).exists()


def test_files_cleanup__expired_upload__left_to_uploads_cleanup(user):
    expired = make_upload(owner=user)
    Upload.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    call_command("files_cleanup", stdout=StringIO())

    assert Upload.objects.filter(pk=expired.pk).exists()
