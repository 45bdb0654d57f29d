"""Configuration service."""

import base64
import hashlib

from cryptography.fernet import Fernet

from .env import DEBUG, env_int, env_list, fail
from .keys import SECRET_KEY, generated_file


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
        # DEBUG only: a key of its own generated under var/, so rotating SECRET_KEY leaves secrets readable.
        # The key once derived from SECRET_KEY stays second, for what older local setups encrypted with it
        # (`configs_rotate_keys` moves that to the new key).
        generated = generated_file("config_encryption_key", Fernet.generate_key).read_text().strip()
        digest = hashlib.sha256(b"config-encryption:" + SECRET_KEY.encode()).digest()
        return [generated, base64.urlsafe_b64encode(digest).decode()]
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
