from tests.configurations.conftest import _role_grants, environment  # noqa: F401 - shared fixtures
