"""OAuth fixtures: a live test server on 127.0.0.1, clients registered through the service, a browser."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from oauth.services import ClientCredentials, client_create
from tests.configurations.conftest import _role_grants, environment, make_entry  # noqa: F401  (fixtures)
from tests.oauth.browser import Browser

# pytest-django's live server binds this address (every test's traffic stays on 127.0.0.1).
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")
REDIRECT_URI = "http://127.0.0.1:9/callback"  # never fetched: the browser stops at the redirect


@pytest.fixture
def oauth_server(live_server, settings, monkeypatch) -> str:
    """The live test server's origin, with cookies that plain http may carry (DEBUG is off in tests)."""
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # Authlib refuses http:// otherwise
    return live_server.url


@pytest.fixture
def make_client(db) -> Callable[..., ClientCredentials]:
    def make(grant: str = "authorization-code", *, owner=None, **options) -> ClientCredentials:
        if grant == "authorization-code":
            options.setdefault("redirect_uris", [REDIRECT_URI])
        return client_create(
            name=options.pop("name", f"{grant} client"),
            grant=grant,
            redirect_uris=options.pop("redirect_uris", []),
            owner_email=owner.email if owner else None,
            **options,
        )

    return make


@pytest.fixture
def browser(oauth_server) -> Browser:
    return Browser(oauth_server)


@pytest.fixture
def make_client_in_process(db) -> Callable[[], ClientCredentials]:
    return lambda: client_create(name="app", grant="authorization-code", redirect_uris=["https://app.example/cb"])
