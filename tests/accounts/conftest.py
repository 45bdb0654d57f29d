"""Fixtures of the accounts tests: an unverified user and logged-in clients holding real JWTs."""

from __future__ import annotations

import pytest

from tests.accounts.factories import UserFactory
from tests.support.auth import Login, login


@pytest.fixture
def unverified_user(db):
    return UserFactory(email_verified=False)


@pytest.fixture
def session_login(user) -> Login:
    return login(user)


@pytest.fixture
def post_committed(api_client, django_capture_on_commit_callbacks):
    """POST with the request's on-commit work (the e-mails) run, as a real commit would."""

    def post(url: str, data: dict, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return api_client.post(url, data, **extra)

    return post
