"""The keyring's memory of verified tokens: a token seen again skips the signature check, never the expiry,
and is remembered per `typ`, audience and issuer; the memory is bounded."""

from __future__ import annotations

import time

import jwt
import pytest

from config.settings.keygen import generate_signing_key
from core import jwt_keys
from core.jwt_keys import ACCESS_TOKEN_TYPE, Keyring, _load_key
from oauth.authentication import is_oauth_access_token


@pytest.fixture
def ring(tmp_path) -> Keyring:
    return Keyring([_load_key(generate_signing_key(tmp_path / "key.pem", "ec"))])


def _token(ring: Keyring, lifetime: float = 60, **claims) -> str:
    return ring.sign({"sub": "someone", "exp": int(time.time() + lifetime), **claims})


def test_verify__token_seen_again__claims_without_a_second_signature_check(ring, monkeypatch):
    token = _token(ring)
    first = ring.verify(token)
    monkeypatch.setattr(jwt, "decode", lambda *args, **kwargs: pytest.fail("verified twice"))

    assert ring.verify(token) == first


def test_verify__remembered_token_past_its_expiry__refused(ring, monkeypatch):
    token = _token(ring, lifetime=30)
    ring.verify(token)
    monkeypatch.setattr(jwt_keys.time, "time", lambda: 10**12)

    with pytest.raises(jwt.ExpiredSignatureError):
        ring.verify(token)
    assert ring.verify(token, leeway=10**12)["sub"] == "someone"


def test_verify__remembered_token__other_typ_or_audience__checked_and_refused(ring):
    token = _token(ring, aud="api")
    ring.verify(token, audience="api")

    with pytest.raises(jwt.InvalidTokenError):
        ring.verify(token, typ=ACCESS_TOKEN_TYPE)
    with pytest.raises(jwt.InvalidAudienceError):
        ring.verify(token, audience="elsewhere")


def test_verify__remembered_signature_on_other_claims__refused(ring):
    token = _token(ring)
    ring.verify(token)
    header, _, signature = token.split(".")
    other_claims = _token(ring, sub="admin").split(".")[1]

    with pytest.raises(jwt.InvalidSignatureError):
        ring.verify(f"{header}.{other_claims}.{signature}")


def test_verify__memory_bounded__oldest_forgotten(ring, monkeypatch):
    monkeypatch.setattr(jwt_keys, "VERIFIED_MAX", 2)
    tokens = [_token(ring, n=n) for n in range(3)]
    for token in tokens:
        ring.verify(token)

    assert [key[0] for key in ring._verified] == tokens[1:]


def test_returned_claims__changed_by_the_caller__remembered_ones_unchanged(ring):
    token = _token(ring)
    ring.verify(token)["sub"] = "someone else"

    assert ring.verify(token)["sub"] == "someone"


@pytest.mark.parametrize(
    "raw",
    ["", "no-dots", "!!!.x.y", "W10.e30.x", b"\xff\xfe.x.y", "eyJ0eXAiOiJKV1QifQ.e30.x"],  # W10: `[]`
)
def test_is_oauth_access_token__anything_but_an_at_jwt_header__false(raw):
    assert is_oauth_access_token(raw) is False


def test_is_oauth_access_token__at_jwt_header__true(ring):
    token = ring.sign({"exp": int(time.time()) + 60}, typ=ACCESS_TOKEN_TYPE)

    assert is_oauth_access_token(token) is True
    assert is_oauth_access_token(token.encode()) is True
