"""Keys: SECRET_KEY and JWT_SIGNING_KEYS, required in production, generated once under var/ in DEBUG only."""

import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from .env import DEBUG, VAR_DIR, env, env_list, fail
from .keygen import generate_signing_key


def _secret_key() -> str:
    key = env.str("SECRET_KEY", default="")
    if key:
        return key
    if not DEBUG:
        fail("SECRET_KEY is not set; it is required when DEBUG is off (set SECRET_KEY, or DEBUG=true for local use)")
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()


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
