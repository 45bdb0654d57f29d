"""Real concurrency on PostgreSQL: per-user quota checks of simultaneous uploads are serialized."""

from __future__ import annotations

import os
import threading

import pytest
from django.db import connection

from core.errors import PayloadTooLargeError
from downloads.models import File
from downloads.services import file_create_from_local_path
from tests.accounts.factories import UserFactory


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_file_create__simultaneous_uploads_past_quota__exactly_one_fits(settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    settings.FILES_USER_QUOTA = 15
    user = UserFactory()
    sources = []
    for index in range(4):
        path = tmp_path / f"{index}.bin"
        path.write_bytes(os.urandom(10))
        sources.append(path)
    barrier = threading.Barrier(len(sources))
    outcomes: list[str] = []

    def upload(path) -> None:
        try:
            barrier.wait()
            file_create_from_local_path(owner=user, name=path.name, source_path=str(path))
            outcomes.append("stored")
        except PayloadTooLargeError:
            outcomes.append("quota_exceeded")
        finally:
            connection.close()

    threads = [threading.Thread(target=upload, args=(path,)) for path in sources]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["quota_exceeded"] * 3 + ["stored"]
    assert File.objects.count() == 1
    blobs = [name for _, _, names in os.walk(os.path.join(settings.MEDIA_ROOT, "blobs")) for name in names]
    assert blobs == [os.path.basename(File.objects.get().storage_name)]
