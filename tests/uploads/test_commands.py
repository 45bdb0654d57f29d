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
