import pytest

from tests.support.contract import ContractAPIClient, ContractChecker, generate_schema


@pytest.fixture(scope="session")
def core_checker() -> ContractChecker:
    return ContractChecker(generate_schema("tests.core.urls"))


@pytest.fixture
def core_client(core_checker, db) -> ContractAPIClient:
    """A contract-checked client for the test-only views of tests/core/urls.py (use with its urls marker)."""
    return ContractAPIClient(checker=core_checker)
