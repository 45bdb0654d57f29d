"""Fixtures shared by every test module: users by role and API clients. App fixtures live beside their tests."""

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache

from accounts.roles import Role
from tests.accounts.factories import UserFactory
from tests.support.contract import ContractAPIClient


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every transactional test restores the migrated data (roles, content types, permissions) itself.

    A transactional test ends with a flush. Without serialized_rollback, that flush re-creates content types
    under new ids, and the next test that restores the serialized data then collides with them (an
    IntegrityError at set-up, depending on test order across apps). With it on all of them, no flush
    re-creates anything and each such test starts from the migrated database."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker and marker.kwargs.get("transaction") and "serialized_rollback" not in marker.kwargs:
            restoring = pytest.mark.django_db(*marker.args, **marker.kwargs, serialized_rollback=True)
            item.add_marker(restoring, append=False)


def _database_fixture(request: pytest.FixtureRequest) -> str | None:
    """The database fixture this test asked for (by marker or fixture), or None for a pure unit test."""
    marker = request.node.get_closest_marker("django_db")
    if "transactional_db" in request.fixturenames or (marker and marker.kwargs.get("transaction")):
        return "transactional_db"
    if marker or "db" in request.fixturenames:
        return "db"
    return None


@pytest.fixture(autouse=True)
def _isolated_cache(request: pytest.FixtureRequest):
    # Throttle, lockout and revocation counters must not leak from one test into the next. A test that asked
    # for no database gets none: in the embedded mode the cache is a table, so only Redis is cleared for it.
    database = _database_fixture(request)
    if database is None and django_settings.CACHES["default"]["BACKEND"].endswith("DatabaseCache"):
        yield
        return
    if database:
        request.getfixturevalue(database)
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    (tmp_path / "media").mkdir()


@pytest.fixture
def api_client() -> ContractAPIClient:
    # Every response to these clients is checked against the OpenAPI schema (tests/support/contract.py);
    # pass off_contract=True on a call that is deliberately outside the contract (an unknown route).
    return ContractAPIClient()


@pytest.fixture
def user(db):
    return UserFactory(role=Role.VIEWER)


@pytest.fixture
def other_user(db):
    return UserFactory(role=Role.VIEWER)


@pytest.fixture
def editor(db):
    return UserFactory(role=Role.EDITOR)


@pytest.fixture
def auditor(db):
    return UserFactory(role=Role.AUDITOR)


@pytest.fixture
def admin_user(db):
    return UserFactory(role=Role.ADMIN, is_staff=True)


def _client_for(user) -> ContractAPIClient:
    client = ContractAPIClient()
    client.force_authenticate(user=user)
    return client


@pytest.fixture
def user_client(user) -> ContractAPIClient:
    return _client_for(user)


@pytest.fixture
def other_client(other_user) -> ContractAPIClient:
    return _client_for(other_user)


@pytest.fixture
def editor_client(editor) -> ContractAPIClient:
    return _client_for(editor)


@pytest.fixture
def auditor_client(auditor) -> ContractAPIClient:
    return _client_for(auditor)


@pytest.fixture
def admin_client_api(admin_user) -> ContractAPIClient:
    return _client_for(admin_user)
