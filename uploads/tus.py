"""The tus 1.0.0 protocol: its constants, errors and header parsing (https://tus.io/protocols/resumable-upload).

Hand-written because no maintained Python tus server library fits Django (django-tus keeps offsets in the
cache and is abandoned; tuspy is a client): these helpers are only the header grammar of the spec.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass

from core.errors import ApplicationError, PreconditionFailedError, UnsupportedMediaTypeError

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = (
    "creation",
    "creation-with-upload",
    "creation-defer-length",
    "expiration",
    "checksum",
    "termination",
    "concatenation",
)
# Every algorithm hashlib has built in and that tus clients ask for; sha1 is the one the spec requires.
CHECKSUM_ALGORITHMS = ("sha256", "sha1", "sha512", "sha384", "md5")
OFFSET_CONTENT_TYPE = "application/offset+octet-stream"
_MAX_METADATA = 4096  # bytes of the Upload-Metadata header we accept


class ChecksumMismatchError(ApplicationError):
    """tus 460: the chunk did not match its Upload-Checksum; it was discarded."""

    status_code = 460
    code = "checksum_mismatch"
    title = "Checksum mismatch"


class TusVersionError(PreconditionFailedError):
    code = "tus_version_unsupported"

    def __init__(self, detail: str):
        super().__init__(detail, headers={"Tus-Version": TUS_VERSION})


@dataclass(frozen=True)
class Checksum:
    algorithm: str
    digest: bytes

    def new_hasher(self) -> hashlib._Hash:
        # usedforsecurity=False: a transfer checksum, not a security control (md5/sha1 are the client's choice).
        return hashlib.new(self.algorithm, usedforsecurity=False)

    def matches(self, hasher: hashlib._Hash) -> bool:
        return hmac.compare_digest(hasher.digest(), self.digest)


def ensure_tus_version(value: str | None) -> None:
    """412 unless the request speaks tus 1.0.0 (`Tus-Resumable`), as the core protocol requires."""
    if value is None:
        raise TusVersionError("The Tus-Resumable header is required.")
    if value.strip() != TUS_VERSION:
        raise TusVersionError(f"Tus-Resumable {value!r} is not supported; this server speaks {TUS_VERSION}.")


def ensure_offset_content_type(value: str | None) -> None:
    if (value or "").split(";")[0].strip().lower() != OFFSET_CONTENT_TYPE:
        raise UnsupportedMediaTypeError(f"Send the bytes as {OFFSET_CONTENT_TYPE}.", code="tus_content_type")


def parse_non_negative(value: str | None, header: str) -> int:
    """A tus size or offset header: a non-negative decimal integer (400 otherwise)."""
    if value is None:
        raise ApplicationError(f"The {header} header is required.", code=f"{_code(header)}_required")
    value = value.strip()
    if not value.isascii() or not value.isdigit() or len(value) > 19:
        raise ApplicationError(f"{header} must be a non-negative integer.", code=f"{_code(header)}_invalid")
    return int(value)


def parse_checksum(value: str | None) -> Checksum | None:
    """`Upload-Checksum: <algorithm> <base64 digest>`; 400 for an unknown algorithm or a malformed value."""
    if value is None:
        return None
    parts = value.strip().split(" ")
    if len(parts) != 2:
        raise ApplicationError("Upload-Checksum must be '<algorithm> <base64 digest>'.", code="checksum_invalid")
    algorithm, encoded = parts[0].lower(), parts[1]
    if algorithm not in CHECKSUM_ALGORITHMS:
        raise ApplicationError(
            f"Checksum algorithm {algorithm!r} is not supported (Tus-Checksum-Algorithm).",
            code="checksum_algorithm_unsupported",
        )
    digest = _b64decode(encoded)
    if digest is None or len(digest) != hashlib.new(algorithm, usedforsecurity=False).digest_size:
        raise ApplicationError(
            "The Upload-Checksum digest is not valid base64 of the right size.", code="checksum_invalid"
        )
    return Checksum(algorithm, digest)


def parse_concat(value: str | None) -> str | list[str]:
    """`Upload-Concat`: "" (none), "partial", or the URLs of a final upload's partials (`final;<url> <url>…`)."""
    if value is None:
        return ""
    value = value.strip()
    if value == "partial":
        return value
    kind, separator, urls = value.partition(";")
    if kind.strip() != "final" or not separator or not urls.split() or len(value) > _MAX_METADATA:
        raise ApplicationError("Upload-Concat must be 'partial' or 'final;<url> <url>...'.", code="concat_invalid")
    return urls.split()


def parse_metadata(value: str | None) -> dict[str, str | None]:
    """`Upload-Metadata`: comma-separated `key base64value` pairs; keys unique, without spaces or commas;
    the value may be left out (None). Values must decode to UTF-8 text here (they become file names)."""
    if value is None or not value.strip():
        return {}
    if len(value) > _MAX_METADATA:
        raise ApplicationError("Upload-Metadata is too long.", code="metadata_invalid")
    metadata: dict[str, str | None] = {}
    for pair in value.split(","):
        parts = pair.strip().split(" ")
        key = parts[0]
        if not key or len(parts) > 2 or key in metadata or not key.isascii():
            raise ApplicationError(f"Upload-Metadata has an invalid pair {pair.strip()!r}.", code="metadata_invalid")
        metadata[key] = _decode_text(parts[1], key) if len(parts) == 2 else None
    return metadata


def _b64decode(value: str) -> bytes | None:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def _decode_text(encoded: str, key: str) -> str:
    decoded = _b64decode(encoded)
    try:
        if decoded is not None:
            return decoded.decode()
    except UnicodeDecodeError:
        pass
    raise ApplicationError(f"The Upload-Metadata value of {key!r} is not base64 UTF-8.", code="metadata_invalid")


def _code(header: str) -> str:
    return header.lower().replace("-", "_")
