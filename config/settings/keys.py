"""Keys, one per job, so rotating one never breaks the others (README: Keys).

SECRET_KEY (Django: admin sessions, password-reset and verification tokens; SECRET_KEY_FALLBACKS rotates
it), FILES_LINK_SIGNING_KEYS (signed links), CONFIG_ENCRYPTION_KEYS (config/settings/configurations.py),
AUDIT_SIGNING_KEY (audit checkpoints). Each is required when DEBUG is off; in DEBUG only, a missing one
is generated once under var/.
"""

import secrets
from collections.abc import Callable

from .env import DEBUG, VAR_DIR, env, env_list, fail


def generated_file(name: str, make: Callable[[], bytes]):
    """var/<name>, written once with `make()` (mode 0600) and kept: DEBUG's stand-in for a configured key."""
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / name
    if not path.exists():
        path.write_bytes(make())
        path.chmod(0o600)
    return path


def _secret_key() -> str:
    key = env.str("SECRET_KEY", default="")
    if key:
        return key
    if not DEBUG:
        fail("SECRET_KEY is not set; it is required when DEBUG is off (set SECRET_KEY, or DEBUG=true for local use)")
    return generated_file("secret_key", lambda: secrets.token_urlsafe(50).encode()).read_text().strip()


def _link_signing_keys() -> list[str]:
    keys = env_list("FILES_LINK_SIGNING_KEYS", [])
    if keys:
        return keys
    if not DEBUG:
        fail("FILES_LINK_SIGNING_KEYS is not set; it is required when DEBUG is off (comma list, newest first)")
    return [generated_file("link_signing_key", lambda: secrets.token_urlsafe(50).encode()).read_text().strip()]


def _audit_signing_key() -> str:
    # Required when DEBUG is off by what signs (audit_checkpoint, the hourly job), not by the web processes.
    key = env.str("AUDIT_SIGNING_KEY", default="")
    if key or not DEBUG:
        return key

    def make() -> bytes:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        return Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    return str(generated_file("audit_signing_key.pem", make))


SECRET_KEY = _secret_key()
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", [])
FILES_LINK_SIGNING_KEYS = _link_signing_keys()
AUDIT_SIGNING_KEY = _audit_signing_key()
