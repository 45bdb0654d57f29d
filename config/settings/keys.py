"""Keys, one per job, so rotating one never breaks the others (README: Keys).

SECRET_KEY (Django: admin sessions, password-reset and verification tokens; SECRET_KEY_FALLBACKS rotates
it), FILES_LINK_SIGNING_KEYS (signed links), CONFIG_ENCRYPTION_KEYS (config/settings/configurations.py),
AUDIT_SIGNING_KEY (audit checkpoints), JWT_SIGNING_KEYS (every JWT: login, OAuth, ID tokens; PEM paths).
Each is required when DEBUG is off; in DEBUG only, a missing one is generated once under var/.
"""

import secrets
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from .env import DEBUG, VAR_DIR, env, env_list, fail
from .keygen import generate_signing_key


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


def _check_signing_key(position: int, path: str) -> bool:
    """Refuse a key that is unreadable, weak or of another type; True for an RSA key."""
    # A bad key would otherwise surface as a 500 on the first login, not at start-up.
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        fail(f"JWT_SIGNING_KEYS: key {position} ({path}) is not a readable unencrypted PEM private key: {exc}")
        return False
    if isinstance(key, rsa.RSAPrivateKey) and key.key_size < 2048:
        fail(f"JWT_SIGNING_KEYS: key {position} is RSA of {key.key_size} bits; at least 2048 are required")
    elif isinstance(key, ec.EllipticCurvePrivateKey) and not isinstance(key.curve, ec.SECP256R1):
        fail(f"JWT_SIGNING_KEYS: key {position} is EC on {key.curve.name}; only P-256 is accepted")
    elif not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, ed25519.Ed25519PrivateKey)):
        fail(f"JWT_SIGNING_KEYS: key {position} must be Ed25519, EC P-256 or RSA >= 2048")
    return isinstance(key, rsa.RSAPrivateKey)


def _signing_keys() -> list[str]:
    paths = env_list("JWT_SIGNING_KEYS", [])
    if not paths:
        if not DEBUG:
            fail("JWT_SIGNING_KEYS is not set; it is required when DEBUG is off (comma list of PEM private key paths)")
        paths = [generate_signing_key(VAR_DIR / "jwt-signing-key.pem")]
    rsa_keys = [_check_signing_key(position, path) for position, path in enumerate(paths, start=1)]
    if not any(rsa_keys):
        fail("JWT_SIGNING_KEYS: list at least one RSA key (OpenID Connect ID tokens are signed RS256)")
    return paths


def rsa_pems(paths: list[str]) -> list[str]:
    """The RSA keys among `paths`, as PEM text, in order (django-oauth-toolkit signs ID tokens with the first)."""
    pems = [Path(path).read_text() for path in paths]
    return [
        pem for pem in pems if isinstance(serialization.load_pem_private_key(pem.encode(), None), rsa.RSAPrivateKey)
    ]


# Newest first: access tokens are signed with the first, ID tokens with the first RSA key; every listed key
# verifies (oauth.keys). A removed key stops verifying at once.
JWT_SIGNING_KEYS = _signing_keys()
