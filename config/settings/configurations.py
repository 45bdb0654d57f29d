"""Configuration service."""
import base64
import hashlib

from .env import DEBUG, env_list, fail
from .keys import SECRET_KEY


def _encryption_keys() -> list[str]:
    keys = env_list("CONFIG_ENCRYPTION_KEYS", [])
    if keys:
        return keys
    if DEBUG:
        # DEBUG only: one Fernet key derived from SECRET_KEY so local setups need no configuration.
        digest = hashlib.sha256(b"config-encryption:" + SECRET_KEY.encode()).digest()
        return [base64.urlsafe_b64encode(digest).decode()]
    fail("CONFIG_ENCRYPTION_KEYS is not set; it is required when DEBUG is off (comma list of Fernet keys)")
    return []


CONFIG_ENCRYPTION_KEYS = _encryption_keys()
