import importlib

import pytest
from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission

from accounts.roles import ALL
from configurations import services
from tests.configurations.factories import EnvironmentFactory


@pytest.fixture(autouse=True)
def _role_grants(request):
    """A transactional test starts from a flushed database, where the roles' grants (a data migration)
    are gone: grant this app's permissions again, before any user fixture joins its role's group."""
    marker = request.node.get_closest_marker("django_db")
    if not (marker and marker.kwargs.get("transaction")):
        return
    request.getfixturevalue("transactional_db")
    create_permissions(apps.get_app_config("configurations"), verbosity=0)
    for module in ("0002_grant_roles", "0004_grant_team_roles"):
        grants = importlib.import_module(f"configurations.migrations.{module}").GRANTS
        for role, codenames in grants.items():
            group, _ = Group.objects.get_or_create(name=role)
            permissions = Permission.objects.filter(content_type__app_label="configurations")
            if codenames != ALL:
                permissions = permissions.filter(codename__in=codenames)
            group.permissions.add(*permissions)


@pytest.fixture
def environment(db):
    return EnvironmentFactory(namespace__slug="billing", slug="production")


@pytest.fixture
def make_entry(environment, editor):
    def make(key: str = "timeout", value=30, value_type: str = "integer", env=None, **fields):
        return services.entry_create(
            environment=env or environment, key=key, value=value, value_type=value_type, actor=editor, **fields
        )

    return make


@pytest.fixture
def make_api_key(environment, editor):
    def make(env=None, **fields):
        fields.setdefault("name", "deployer")
        fields.setdefault("expires_at", None)
        return services.api_key_create(environment=env or environment, actor=editor, **fields)

    return make
