"""The one set of login helpers of the tests: in-process (`login`) and against a live server (`live_login`,
`live_access`)."""

from __future__ import annotations

from dataclasses import dataclass

import requests
from django.contrib.auth.hashers import make_password

from tests.accounts.factories import DEFAULT_PASSWORD
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
    """Log `user` in through POST /auth/token/ in this process; the pair of a real session."""
    response = ContractAPIClient().post(TOKEN_URL, {"email": user.email, "password": password}, **extra)
    assert response.status_code == 200, response.content
    body = response.json()
    return Login(access=body["access"], refresh=body["refresh"])


def server_password(user, password: str = DEFAULT_PASSWORD) -> None:
    """Store `password` with a hasher a live server knows (the test settings put a fast one first that the
    servers' production settings do not list)."""
    user.password = make_password(password, hasher="argon2")
    user.save(update_fields=["password"])


def live_login(base_url: str, email: str, password: str = DEFAULT_PASSWORD) -> dict:
    """POST /auth/token/ on a live server: {"access", "refresh", ...}."""
    response = requests.post(f"{base_url}{TOKEN_URL}", json={"email": email, "password": password}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def live_access(base_url: str, user) -> str:
    """An access token for `user` from a live server, its password first stored with a hasher the server knows."""
    server_password(user)
    return live_login(base_url, user.email)["access"]


def bearer(access: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access}"}
