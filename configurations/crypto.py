"""Encryption at rest of secret values: cryptography's MultiFernet over CONFIG_ENCRYPTION_KEYS.

The first key encrypts; every key decrypts, so keys rotate by prepending a new one, running
`configs_rotate_keys`, then dropping the old one.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.CONFIG_ENCRYPTION_KEYS))


def encrypt_value(value: Any) -> str:
    return fernet().encrypt(json.dumps(value, separators=(",", ":")).encode()).decode()


def decrypt_value(token: str) -> Any:
    return json.loads(fernet().decrypt(token.encode()))


def rotate_token(token: str) -> str:
    """The same plaintext under the newest key (MultiFernet.rotate)."""
    return fernet().rotate(token.encode()).decode()


def stored_value(row: Any) -> Any:
    """The clear value of an entry or version row, decrypting a secret one."""
    return decrypt_value(row.value_encrypted) if row.value_encrypted else row.value
