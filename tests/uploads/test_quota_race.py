"""Real concurrency on PostgreSQL: parallel tus creations cannot together exceed the owner's quota."""

import threading

import pytest
from django.db import connection

from core.errors import PayloadTooLargeError
from uploads.models import Upload
from uploads.services import upload_create

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

CREATORS = 20
LENGTH = 1000


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: concurrent creations on separate connections")


def test_parallel_creations__quota_for_five__exactly_five_created(user, settings):
    settings.FILES_USER_QUOTA = 5 * LENGTH
    start = threading.Barrier(CREATORS)
    outcomes: list = []

    def create() -> None:
        try:
            start.wait(10)
            upload_create(owner=user, length=LENGTH, metadata={})
            outcomes.append("created")
        except PayloadTooLargeError as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(CREATORS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert outcomes.count("created") == 5, outcomes
    assert outcomes.count("quota_exceeded") == CREATORS - 5
    assert Upload.objects.filter(owner=user).count() == 5
