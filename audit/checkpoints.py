"""Signed checkpoints of the chain's head (API.md, Audit: Checkpoints).

The hash chain alone only proves the trail is consistent with itself: someone with full access to the
database can rewrite events, recompute every hash and move the head. A checkpoint is the head's (seq,
hash) signed with an Ed25519 key that never enters the database (AUDIT_SIGNING_KEY) and kept outside it
(AUDIT_CHECKPOINT_DIR): a trail that no longer extends a checkpoint is detected by `audit_verify
--checkpoint`. Hand-written: the checkpoint format is ours; the signature is cryptography's Ed25519.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from audit.chain import GENESIS_HASH
from audit.models import AuditChainHead, AuditCheckpoint, AuditEvent
from audit.services import events_seal

SIGNED_FIELDS = ("seq", "hash", "timestamp", "key_id")


class CheckpointError(Exception):
    """A checkpoint that cannot be trusted or is not extended by the trail; the message says why."""


def signing_payload(fields: dict[str, Any]) -> bytes:
    """The bytes signed: the UTF-8 JSON of the signed fields, sorted keys, no whitespace."""
    return json.dumps({name: fields[name] for name in SIGNED_FIELDS}, sort_keys=True, separators=(",", ":")).encode()


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def signing_key() -> Ed25519PrivateKey:
    path = settings.AUDIT_SIGNING_KEY
    if not path:
        raise ImproperlyConfigured("AUDIT_SIGNING_KEY is not set; it is required when DEBUG is off (an Ed25519 PEM)")
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured("AUDIT_SIGNING_KEY must be an Ed25519 private key (PEM)")
    return key


def load_public_key(path: str | Path) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(Path(path).read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise CheckpointError("the public key is not an Ed25519 key")
    return key


def checkpoint_create() -> dict[str, Any]:
    """Seal what is pending, then sign the head: {"seq", "hash", "timestamp", "key_id", "signature"}."""
    key = signing_key()
    events_seal()
    head = AuditChainHead.objects.filter(pk=1).first()
    fields: dict[str, Any] = {
        "seq": head.last_seq if head else 0,
        "hash": head.last_hash if head else GENESIS_HASH,
        "timestamp": timezone.now().isoformat().replace("+00:00", "Z"),
        "key_id": key_id(key.public_key()),
    }
    fields["signature"] = base64.b64encode(key.sign(signing_payload(fields))).decode()
    return fields


def checkpoint_write(directory: str | Path | None = None) -> Path:
    """Write a new checkpoint to AUDIT_CHECKPOINT_DIR (one file each, never overwritten); returns its path."""
    checkpoint = checkpoint_create()
    target = Path(directory or settings.AUDIT_CHECKPOINT_DIR)
    target.mkdir(parents=True, exist_ok=True)
    stamp = checkpoint["timestamp"].replace(":", "").replace("-", "")
    path = target / f"checkpoint-{checkpoint['seq']:012d}-{stamp}.json"
    with path.open("x", encoding="utf-8") as out:  # "x": a second run in the same microsecond fails, not clobbers
        json.dump(checkpoint, out, sort_keys=True)
        out.write("\n")
    return path


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    fields: dict[str, Any]


def checkpoint_parse(text: str, public_key: Ed25519PublicKey | None = None) -> Checkpoint:
    """The checkpoint in `text` once its signature is checked (by AUDIT_SIGNING_KEY's public half unless
    `public_key` is given); CheckpointError when it is malformed, signed by another key, or forged."""
    try:
        fields = json.loads(text)
        seq, chain_hash, signature = fields["seq"], fields["hash"], base64.b64decode(fields["signature"], validate=True)
        payload = signing_payload(fields)
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise CheckpointError(f"not a checkpoint ({type(exc).__name__})") from None
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0 or not isinstance(chain_hash, str):
        raise CheckpointError("not a checkpoint (seq or hash of the wrong type)")
    verifier = public_key or signing_key().public_key()
    if fields["key_id"] != key_id(verifier):
        raise CheckpointError(f"the checkpoint is signed by key {fields['key_id']!r}, not by {key_id(verifier)!r}")
    try:
        verifier.verify(signature, payload)
    except InvalidSignature:
        raise CheckpointError("the checkpoint's signature is invalid (forged or altered)") from None
    return Checkpoint(seq=seq, hash=chain_hash, fields=fields)


def checkpoint_extended(checkpoint: Checkpoint) -> None:
    """Raise CheckpointError unless the trail still holds the checkpoint's head unchanged.

    Run after chain_verify: the chain is then intact from its start to the head, so the event at the
    checkpoint's seq having the signed hash proves every event at or below it unchanged."""
    if checkpoint.seq == 0:
        return
    event = AuditEvent.objects.filter(seq=checkpoint.seq).values_list("hash", flat=True).first()
    if event is not None:
        if event != checkpoint.hash:
            raise CheckpointError(f"the event at seq {checkpoint.seq} differs from the checkpoint (trail rewritten)")
        return
    prune = AuditCheckpoint.objects.filter(last_seq=checkpoint.seq).values_list("last_hash", flat=True).first()
    if prune is not None and prune == checkpoint.hash:
        return  # pruned exactly up to the checkpoint, by the audited command
    if AuditEvent.objects.filter(seq__gt=checkpoint.seq).exists():
        raise CheckpointError(f"the event at seq {checkpoint.seq} is gone (removed or pruned past the checkpoint)")
    raise CheckpointError(f"the chain ends before seq {checkpoint.seq} (cut short below the checkpoint)")
