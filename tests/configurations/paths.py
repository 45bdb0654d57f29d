"""URLs of the environment the fixtures create (namespace billing, environment production)."""

ENV = "/api/v1/namespaces/billing/environments/production/"
ENTRIES = f"{ENV}entries/"
RESOLVED = f"{ENV}resolved/"
API_KEYS = f"{ENV}api-keys/"


def entry_url(key: str) -> str:
    return f"{ENTRIES}{key}/"
