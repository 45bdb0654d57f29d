"""The resumable content hash: its state survives a round trip and matches the one-pass hash exactly."""

import json
import os

from downloads.blobs import ContentHasher
from uploads.hashing import ResumableHasher


def test_resumable_hasher__state_round_trips_across_chunk_boundaries__same_digest_and_manifest():
    data = os.urandom(70_000)
    reference = ContentHasher(chunk_size=16_384)
    reference.update(data)
    hasher = ResumableHasher(chunk_size=16_384)
    for start in range(0, len(data), 9_999):  # pieces that straddle chunk boundaries
        hasher.update(data[start : start + 9_999])
        hasher = ResumableHasher.from_state(json.loads(json.dumps(hasher.state())))  # as stored in the row

    assert hasher.finish() == reference.finish()
    assert hasher.size == len(data)
    assert hasher.head == reference.head


def test_resumable_hasher__no_state__empty_hasher():
    assert ResumableHasher.from_state({}).finish() == ContentHasher().finish()
