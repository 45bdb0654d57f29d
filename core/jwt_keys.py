"""The JWT signing keyring: JWT_SIGNING_KEYS loaded once per process, looked up by `kid`.

Every JWT this backend issues (login tokens, OAuth access tokens, ID tokens) names its key in the `kid`
header (the key's RFC 7638 thumbprint), and is verified only with that key and that key's one algorithm:
a token with an unknown or missing `kid`, or an `alg` other than its key's (say HS256 "signed" with a
public key), is refused before any claim is read. Every listed key verifies; the first signs. A key
dropped from the list stops verifying as soon as the process has the new list (the cache is keyed by it).

A client sends the same access token with every request for its whole lifetime, and parsing plus
checking its signature costs ~0.25 ms (PyJWT's base64 checks and RSA), a quarter of a cached read. So each
keyring remembers, in this process only, the claims of the last VERIFIED_MAX tokens it verified: a token
seen again is checked for expiry alone (its signature, `kid`, algorithm, `typ`, audience and issuer were
checked on the first verification and cannot have changed; `nbf` and `iat` were already in the past).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from django.conf import settings
from jwcrypto import jwk

from core.memo import remember

VERIFIED_MAX = 4096
ACCESS_TOKEN_TYPE = "at+jwt"  # noqa: S105  # nosec B105  # RFC 9068 §2.1: the `typ` header of an OAuth access token


@dataclass(frozen=True)
class SigningKey:
    kid: str
    algorithm: str
    private_key: Any
    public_key: Any
    public_jwk: dict[str, str]  # as published in the JWKS


def _algorithm(key: Any) -> str:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "EdDSA"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return "ES256"
    if isinstance(key, rsa.RSAPrivateKey):
        return "RS256"
    raise ValueError(f"unsupported signing key type {type(key).__name__}")


def _load_key(path: str) -> SigningKey:
    pem = Path(path).read_bytes()
    private_key = serialization.load_pem_private_key(pem, password=None)
    public = jwk.JWK.from_pem(pem)
    kid = public.thumbprint()
    algorithm = _algorithm(private_key)
    public_jwk = {**json.loads(public.export_public()), "kid": kid, "alg": algorithm, "use": "sig"}
    return SigningKey(kid, algorithm, private_key, private_key.public_key(), public_jwk)


class Keyring:
    def __init__(self, keys: list[SigningKey]):
        if not keys:
            raise ValueError("JWT_SIGNING_KEYS is empty")
        self.keys = tuple(keys)
        self._by_kid = {key.kid: key for key in keys}
        self._verified: dict[tuple, dict[str, Any]] = {}

    @property
    def newest(self) -> SigningKey:
        return self.keys[0]

    @property
    def newest_rsa(self) -> SigningKey:
        """ID tokens are RS256, which OpenID Connect requires every relying party to support."""
        return next(key for key in self.keys if key.algorithm == "RS256")

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        return {"keys": [key.public_jwk for key in self.keys]}

    def sign(self, claims: dict[str, Any], *, typ: str = "JWT", key: SigningKey | None = None) -> str:
        key = key or self.newest
        return jwt.encode(claims, key.private_key, algorithm=key.algorithm, headers={"kid": key.kid, "typ": typ})

    def verify(
        self,
        token: str,
        *,
        typ: str | None = None,
        audience: str | list[str] | None = None,
        issuer: str | None = None,
        leeway: timedelta | int = 0,
    ) -> dict[str, Any]:
        """The claims of a token signed by one of the keys (and of header `typ`, when given).

        Raises jwt.InvalidTokenError for anything else: unknown kid, other algorithm, bad signature,
        expired, wrong audience or issuer.
        """
        seconds = leeway.total_seconds() if isinstance(leeway, timedelta) else leeway
        remembered = (token, typ, audience if not isinstance(audience, list) else tuple(audience), issuer)
        claims = self._verified.get(remembered)
        if claims is None:
            claims = self._verify(token, typ=typ, audience=audience, issuer=issuer, leeway=leeway)
            remember(self._verified, remembered, dict(claims), VERIFIED_MAX)
        elif claims["exp"] <= time.time() - seconds:
            raise jwt.ExpiredSignatureError("Signature has expired")
        return dict(claims)

    def _verify(
        self, token: str, *, typ: str | None, audience: str | list[str] | None, issuer: str | None, leeway
    ) -> dict[str, Any]:
        header = jwt.get_unverified_header(token)
        key = self._by_kid.get(header.get("kid")) if isinstance(header.get("kid"), str) else None
        if key is None:
            raise jwt.InvalidTokenError("unknown signing key")
        if typ is not None and str(header.get("typ", "")).lower() != typ:
            raise jwt.InvalidTokenError("unexpected token type")
        options = {"verify_aud": audience is not None, "require": ["exp"]}
        return jwt.decode(
            token,
            key.public_key,
            algorithms=[key.algorithm],
            audience=audience,
            issuer=issuer,
            leeway=leeway,
            options=options,
        )


@lru_cache(maxsize=4)
def _keyring(paths: tuple[str, ...]) -> Keyring:
    return Keyring([_load_key(path) for path in paths])


def keyring() -> Keyring:
    """The keyring of the current JWT_SIGNING_KEYS (parsed once per process and list of paths)."""
    return _keyring(tuple(settings.JWT_SIGNING_KEYS))
