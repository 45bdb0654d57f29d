"""Generating a JWT signing key file; no settings are read here, so launchers and test settings may import it."""

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

_GENERATORS = {
    "rsa": lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
    "ec": lambda: ec.generate_private_key(ec.SECP256R1()),
    "ed25519": ed25519.Ed25519PrivateKey.generate,
}


def generate_signing_key(path: Path, kind: str = "rsa") -> str:
    """Write a new PEM private key (rsa 2048, ec P-256 or ed25519) to `path` unless one is there; its path.

    Used for the DEBUG default and by the test, bench and load launchers (production brings its own).
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = _GENERATORS[kind]().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path.write_bytes(pem)
        path.chmod(0o600)
    return str(path)
