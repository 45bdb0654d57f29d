"""Configuration service."""

import base64
import hashlib

from cryptography.fernet import Fernet

from .env import DEBUG, env_int, env_list, fail
from .keys import SECRET_KEY


def _checked(keys: list[str]) -> list[str]:
    # A malformed key would otherwise surface as a 500 on the first secret read, not at start-up.
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except ValueError:
            fail(f"CONFIG_ENCRYPTION_KEYS: key {position} is not a Fernet key (32 url-safe base64-encoded bytes)")
    return keys


def _encryption_keys() -> list[str]:
    keys = env_list("CONFIG_ENCRYPTION_KEYS", [])
    if keys:
        return _checked(keys)
    if DEBUG:
        # DEBUG only: one Fernet key derived from SECRET_KEY so local setups need no configuration.
        digest = hashlib.sha256(b"config-encryption:" + SECRET_KEY.encode()).digest()
        return [base64.urlsafe_b64encode(digest).decode()]
    fail("CONFIG_ENCRYPTION_KEYS is not set; it is required when DEBUG is off (comma list of Fernet keys)")
    return []


CONFIG_ENCRYPTION_KEYS = _encryption_keys()

# The resolved document and its revision marker live this long in the cache; writes replace the marker at
# once, so this only bounds how long a marker missed while the cache was down could linger.
CONFIG_RESOLVED_CACHE_TTL = env_int("CONFIG_RESOLVED_CACHE_TTL", 300)
# An API key's validity is cached this long (revocation removes it at once).
CONFIG_API_KEY_CACHE_TTL = env_int("CONFIG_API_KEY_CACHE_TTL", 60)
# last_used_at is written at most this often per key, not on every request.
CONFIG_API_KEY_LAST_USED_INTERVAL = env_int("CONFIG_API_KEY_LAST_USED_INTERVAL", 60)
