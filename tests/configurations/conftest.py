import pytest

from configurations import services
from tests.configurations.factories import EnvironmentFactory


@pytest.fixture
def environment(db):
    return EnvironmentFactory(namespace__slug="billing", slug="production")


@pytest.fixture
def make_entry(environment, editor):
    def make(key: str = "timeout", value=30, value_type: str = "integer", env=None, **fields):
        return services.entry_create(environment=env or environment, key=key, value=value, value_type=value_type,
                                     actor=editor, **fields)

    return make


@pytest.fixture
def make_api_key(environment, editor):
    def make(env=None, **fields):
        fields.setdefault("name", "deployer")
        fields.setdefault("expires_at", None)
        return services.api_key_create(environment=env or environment, actor=editor, **fields)

    return make

