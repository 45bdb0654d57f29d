"""Secret stripping for everything that goes into an audit event (changes, metadata).

A value is masked when its key names a secret (password, token, secret, api_key, key, authorization, ...),
and string values anywhere are scrubbed of what looks like a credential: JWTs and `Bearer`/`Api-Key`
headers (core.logging.redact, the same rules as the logs) and bare API-key-shaped tokens (long random strings
mixing upper case, lower case and digits; hex digests and UUIDs are kept, they identify content, not access).
Hand-written because no library knows this project's secret shapes; it is deliberately eager: an audit
entry that says "********" is better than one that leaks.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from core.logging import REDACTED, redact

MASK = "********"

# Key names, split into words on `_`, `-`, `.` and camelCase humps, that mark the value as secret.
_SECRET_WORDS = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "secret",
        "secrets",
        "token",
        "tokens",
        "key",
        "keys",
        "apikey",
        "authorization",
        "auth",
        "credential",
        "credentials",
        "cookie",
        "signature",
        "otp",
        "pin",
        "salt",
        "private",
        "jwt",
        "bearer",
        "refresh",
        "access",
    }
)
_WORD_SPLIT = re.compile(r"[_\-.\s]+|(?<=[a-z0-9])(?=[A-Z])")
# Bare API-key-shaped tokens: 24+ characters of the URL-safe alphabet.
_TOKEN_CANDIDATE = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{24,}(?![A-Za-z0-9_-])")


def is_secret_key(name: str) -> bool:
    """Whether a dict key or field name designates a secret value."""
    lowered = name.lower()
    if any(word in lowered for word in ("password", "passwd", "secret", "token", "apikey", "api_key")):
        return True
    return any(word.lower() in _SECRET_WORDS for word in _WORD_SPLIT.split(name) if word)


def _looks_random(candidate: str) -> bool:
    if re.fullmatch(r"[0-9a-fA-F-]+", candidate):
        return False  # hex digests, UUIDs: content identifiers
    classes = sum(bool(re.search(pattern, candidate)) for pattern in ("[a-z]", "[A-Z]", "[0-9]"))
    if classes < 3:
        return False  # slugs, SHOUTING_CONFIG_KEYS, words
    # Shannon entropy per character: random base64url is ~5 bits, identifiers much less.
    counts = {char: candidate.count(char) for char in set(candidate)}
    entropy = -sum(n / len(candidate) * math.log2(n / len(candidate)) for n in counts.values())
    return entropy >= 3.5


def scrub_text(text: str) -> str:
    """`text` with JWTs, authorization headers, key=value secrets and API-key-shaped tokens replaced."""
    text = redact(text)
    return _TOKEN_CANDIDATE.sub(lambda m: REDACTED if _looks_random(m.group(0)) else m.group(0), text)


def strip_secrets(value: Any) -> Any:
    """A copy of `value` (JSON-like) with secret-named keys masked and credential-like strings scrubbed."""
    if isinstance(value, Mapping):
        return {
            str(key): (MASK if is_secret_key(str(key)) and item not in (None, "") else strip_secrets(item))
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple, set, frozenset)):
        return [strip_secrets(item) for item in value]
    if isinstance(value, str):
        return scrub_text(value)
    return value
