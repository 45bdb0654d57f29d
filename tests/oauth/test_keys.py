"""JWT_SIGNING_KEYS: `kid` in every header, every listed key verifies; a removed key, an unknown kid and
algorithm confusion are refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from config.settings.env import CONFIG_ERROR_EXIT
from config.settings.keygen import generate_signing_key
from core.jwt_keys import keyring
from tests.core.test_settings import _start
from tests.support.auth import ME_URL, login
from tests.support.contract import ContractAPIClient

pytestmark = pytest.mark.django_db


def _me(token: str):
    return ContractAPIClient().get(ME_URL, HTTP_AUTHORIZATION=f"Bearer {token}")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_login_token__header_names_the_newest_key(user):
    header = jwt.get_unverified_header(login(user).access)

    assert header["kid"] == keyring().newest.kid
    assert header["alg"] == keyring().newest.algorithm == "EdDSA"


def test_jwks__publishes_every_key_without_private_parts(client):
    response = client.get("/o/.well-known/jwks.json")

    keys = response.json()["keys"]
    assert [key["kid"] for key in keys] == [key.kid for key in keyring().keys]
    assert {key["kty"] for key in keys} == {"OKP", "RSA"}
    assert all("d" not in key and "p" not in key for key in keys)
    assert response["Cache-Control"].startswith("public")


def test_algorithm_confusion__hs256_signed_with_the_public_key__401(user):
    claims = jwt.decode(login(user).access, options={"verify_signature": False})
    rsa_key = keyring().newest_rsa
    public_pem = rsa_key.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # Built by hand: PyJWT itself refuses to HMAC with a PEM public key, an attacker would not.
    header = {"alg": "HS256", "typ": "JWT", "kid": rsa_key.kid}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()

    response = _me(f"{signing_input}.{_b64(signature)}")

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_unknown_kid__401(user, tmp_path):
    claims = jwt.decode(login(user).access, options={"verify_signature": False})
    path = generate_signing_key(tmp_path / "stranger.pem", "ec")
    stranger = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)

    forged = jwt.encode(claims, stranger, algorithm="ES256", headers={"kid": keyring().newest.kid})
    unknown = jwt.encode(claims, stranger, algorithm="ES256", headers={"kid": "nobody"})

    refused = _me(forged)
    assert refused.status_code == 401 and refused.json()["code"] == "token_not_valid"
    assert _me(unknown).json()["code"] == "token_not_valid"


def test_rotation__new_key_added__both_verify__old_removed__its_tokens_refused(user, settings, tmp_path):
    old_keys = list(settings.JWT_SIGNING_KEYS)
    before = login(user).access
    settings.JWT_SIGNING_KEYS = [generate_signing_key(tmp_path / "new.pem", "ec"), *old_keys]

    after = login(user).access

    assert jwt.get_unverified_header(after)["alg"] == "ES256"
    assert _me(before).status_code == 200
    assert _me(after).status_code == 200
    settings.JWT_SIGNING_KEYS = [settings.JWT_SIGNING_KEYS[0], old_keys[1]]  # the old newest is dropped
    refused = _me(before)
    assert refused.status_code == 401 and refused.json()["code"] == "token_not_valid"
    assert _me(after).status_code == 200


def test_start_up__production_without_jwt_signing_keys__refuses(tmp_path):
    result = _start(
        tmp_path, SECRET_KEY="x" * 50, CONFIG_ENCRYPTION_KEYS="VO0qBKA0JDIwHSKSfNv9HnhF9feTmxShYqsvfn1nggs="
    )

    assert result.returncode == CONFIG_ERROR_EXIT
    assert result.stderr.startswith("configuration error: JWT_SIGNING_KEYS is not set")
    assert not (tmp_path / "var" / "jwt-signing-key.pem").exists()


def test_start_up__weak_rsa_or_no_rsa_key__refuses(tmp_path):
    weak = tmp_path / "weak.pem"
    weak_key = rsa.generate_private_key(65537, 1024)  # noqa: S505  (the weak key start-up refuses)
    weak.write_bytes(
        weak_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    base = {"SECRET_KEY": "x" * 50, "CONFIG_ENCRYPTION_KEYS": "VO0qBKA0JDIwHSKSfNv9HnhF9feTmxShYqsvfn1nggs="}

    too_weak = _start(tmp_path, **base, JWT_SIGNING_KEYS=str(weak))
    no_rsa = _start(tmp_path, **base, JWT_SIGNING_KEYS=generate_signing_key(tmp_path / "ed.pem", "ed25519"))

    assert "at least 2048 are required" in too_weak.stderr
    assert "list at least one RSA key" in no_rsa.stderr
    assert too_weak.returncode == no_rsa.returncode == CONFIG_ERROR_EXIT


def test_start_up__debug__generates_one_rsa_key_under_var(tmp_path):
    first = _start(tmp_path, DEBUG="true")

    assert first.returncode == 0, first.stderr
    key = serialization.load_pem_private_key((tmp_path / "var" / "jwt-signing-key.pem").read_bytes(), None)
    assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 2048
