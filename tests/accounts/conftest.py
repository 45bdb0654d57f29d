"""Fixtures of the accounts tests: an unverified user and logged-in clients holding real JWTs."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.support.contract import ContractAPIClient

TOKEN_URL = "/api/v1/auth/token/"
REFRESH_URL = "/api/v1/auth/token/refresh/"
ME_URL = "/api/v1/users/me/"


@dataclass
class Login:
    access: str
    refresh: str

    def client(self) -> ContractAPIClient:
        client = ContractAPIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {self.access}")
        return client


def login(user, password: str = DEFAULT_PASSWORD, **extra) -> Login:
    response = ContractAPIClient().post(TOKEN_URL, {"email": user.email, "password": password}, **extra)
    assert response.status_code == 200, response.content
    body = response.json()
    return Login(access=body["access"], refresh=body["refresh"])


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
