"""The content hash of an upload in progress, kept as durable state beside its offset.

A tus upload arrives over many requests, possibly on different instances. Its sha256 and chunk manifest are
computed while the bytes arrive, and the hasher's state is saved with every offset it vouches for, so
completing an upload never re-reads its bytes (on S3 that would copy the whole object through the
instance). hashlib's objects cannot be serialized; `rehashes` (RustCrypto's sha2) can, at the same speed.
"""

from __future__ import annotations

import base64
from typing import Any

from rehashes import PySha256

from downloads.blobs import SNIFF_BYTES, ContentHasher


class _Sha256:
    """hashlib's interface (update/hexdigest) over a serializable sha256."""

    def __init__(self, inner: PySha256 | None = None):
        self._inner = inner or PySha256()

    def update(self, data: bytes) -> None:
        self._inner.update(bytes(data))  # rehashes takes bytes only; bytes(bytes) is not a copy, a view's is

    def hexdigest(self) -> str:
        return self._inner.finalize()  # does not consume the state

    def state(self) -> str:
        return base64.b64encode(self._inner.serialize()).decode()

    @classmethod
    def from_state(cls, state: str) -> _Sha256:
        return cls(PySha256.deserialize(base64.b64decode(state)))


class ResumableHasher(ContentHasher):
    """A ContentHasher (whole sha256, chunk manifest, sniffing head) whose state survives the process."""

    new_hash = _Sha256

    def state(self) -> dict[str, Any]:
        """A JSON-able snapshot of everything hashed so far."""
        return {
            "size": self.size,
            "chunk_size": self.chunk_size,
            "chunks": list(self.chunks),
            "in_chunk": self._in_chunk,
            "head": base64.b64encode(self.head).decode(),
            "whole": self._whole.state(),
            "chunk": self._chunk.state(),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any] | None) -> ResumableHasher:
        """The hasher of a snapshot; an empty one for no snapshot (nothing hashed yet)."""
        if not state:
            return cls()
        hasher = cls(state["chunk_size"])
        hasher.size = state["size"]
        hasher.chunks = list(state["chunks"])
        hasher._in_chunk = state["in_chunk"]
        hasher.head = base64.b64decode(state["head"])[:SNIFF_BYTES]
        hasher._whole = _Sha256.from_state(state["whole"])
        hasher._chunk = _Sha256.from_state(state["chunk"])
        return hasher
