"""Signed checkpoints: the trail survives someone with full database access (issue 12.14, API.md Checkpoints)."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.chain import HASHED_FIELDS, compute_hash
from audit.checkpoints import checkpoint_write
from audit.models import AuditChainHead, AuditEvent
from audit.services import events_prune
from tests.audit.factories import make_events
from tests.audit.test_verification import tamper

pytestmark = pytest.mark.django_db


def _pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@pytest.fixture
def signing_key(settings, tmp_path) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    path = tmp_path / "audit-signing.pem"
    path.write_bytes(_pem(key))
    settings.AUDIT_SIGNING_KEY = str(path)
    settings.AUDIT_CHECKPOINT_DIR = str(tmp_path / "checkpoints")
    return key


@pytest.fixture
def checkpoint_file(run_command, signing_key, tmp_path):
    def make() -> tuple[dict, str]:
        code, out, _ = run_command("audit_checkpoint")
        assert code == 0
        path = tmp_path / f"cp-{len(list(tmp_path.iterdir()))}.json"
        path.write_text(out)
        return json.loads(out), str(path)

    return make


def test_audit_checkpoint__prints_head_signed_over_sorted_compact_json(run_command, signing_key):
    events = make_events(3)

    code, out, _ = run_command("audit_checkpoint")

    checkpoint = json.loads(out)
    assert code == 0
    assert set(checkpoint) == {"seq", "hash", "timestamp", "key_id", "signature"}
    last = AuditEvent.objects.get(pk=events[-1].pk)
    assert (checkpoint["seq"], checkpoint["hash"]) == (last.seq, last.hash)
    dt.datetime.fromisoformat(checkpoint["timestamp"])
    signed = {name: checkpoint[name] for name in ("seq", "hash", "timestamp", "key_id")}
    payload = json.dumps(signed, sort_keys=True, separators=(",", ":")).encode()
    signing_key.public_key().verify(base64.b64decode(checkpoint["signature"]), payload)  # raises if bad


def test_audit_verify_checkpoint__trail_extends_it__exit_0(run_command, checkpoint_file):
    make_events(3)
    _, path = checkpoint_file()
    make_events(2)

    code, out, _ = run_command("audit_verify", "--checkpoint", path)

    assert code == 0, out
    assert "checkpoint ok" in out


def _rewrite_whole_chain(actor: str) -> None:
    """What someone with full database access can do: change an event, recompute every hash, move the head."""
    tamper("UPDATE audit_auditevent SET actor = %s WHERE seq = 1", [actor])
    previous = ""
    for event in AuditEvent.objects.order_by("seq"):
        fields = {name: getattr(event, name) for name in HASHED_FIELDS} | {"prev_hash": previous}
        previous = compute_hash(fields)
        tamper(
            "UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE id = %s",
            [fields["prev_hash"], previous, event.id],
        )
    AuditChainHead.objects.filter(pk=1).update(last_hash=previous)


def test_audit_verify_checkpoint__chain_rewritten_consistently__exit_1(run_command, checkpoint_file):
    make_events(4)
    _, path = checkpoint_file()
    _rewrite_whole_chain("intruder")
    assert run_command("audit_verify")[0] == 0  # the bare chain cannot tell

    code, _, err = run_command("audit_verify", "--checkpoint", path)

    assert code == 1
    assert "differs from the checkpoint" in err


def test_audit_verify_checkpoint__chain_cut_short_below_it__exit_1(run_command, checkpoint_file):
    make_events(5)
    checkpoint, path = checkpoint_file()
    tamper("DELETE FROM audit_auditevent WHERE seq >= %s", [checkpoint["seq"] - 1])
    last = AuditEvent.objects.order_by("-seq").first()
    AuditChainHead.objects.filter(pk=1).update(last_seq=last.seq, last_hash=last.hash)
    assert run_command("audit_verify")[0] == 0

    code, _, err = run_command("audit_verify", "--checkpoint", path)

    assert code == 1
    assert "cut short" in err


def test_audit_verify_checkpoint__event_below_it_removed__exit_1(run_command, checkpoint_file):
    events = make_events(4)
    _, path = checkpoint_file()
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [events[1].id])

    code, _, _ = run_command("audit_verify", "--checkpoint", path)

    assert code == 1


@pytest.mark.parametrize("field, value", [("seq", 1), ("hash", "0" * 64), ("timestamp", "2020-01-01T00:00:00Z")])
def test_audit_verify_checkpoint__forged_checkpoint__exit_1(run_command, checkpoint_file, tmp_path, field, value):
    make_events(3)
    checkpoint, _ = checkpoint_file()
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps({**checkpoint, field: value}))

    code, _, err = run_command("audit_verify", "--checkpoint", str(forged))

    assert code == 1
    assert "signature is invalid" in err


def test_audit_verify_checkpoint__other_key_or_garbage__exit_1(run_command, checkpoint_file, settings, tmp_path):
    make_events(1)
    _, path = checkpoint_file()
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    other = tmp_path / "other.pem"
    other.write_bytes(_pem(Ed25519PrivateKey.generate()))

    assert run_command("audit_verify", "--checkpoint", str(garbage))[0] == 1
    settings.AUDIT_SIGNING_KEY = str(other)
    code, _, err = run_command("audit_verify", "--checkpoint", path)
    assert code == 1
    assert "signed by key" in err


def test_audit_verify_checkpoint__with_public_key_only__exit_0(
    run_command, checkpoint_file, signing_key, settings, tmp_path
):
    make_events(2)
    _, path = checkpoint_file()
    public = tmp_path / "public.pem"
    public.write_bytes(
        signing_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    settings.AUDIT_SIGNING_KEY = ""  # an auditor's machine holds the public key only

    code, out, _ = run_command("audit_verify", "--checkpoint", path, "--public-key", str(public))

    assert code == 0, out


def test_audit_verify_checkpoint__pruned_exactly_to_it__exit_0(run_command, checkpoint_file):
    make_events(3)
    _, path = checkpoint_file()
    events_prune(before=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1))

    code, out, _ = run_command("audit_verify", "--checkpoint", path)

    assert code == 0, out


def test_audit_checkpoint__no_key_with_debug_off__refused(run_command, settings):
    settings.AUDIT_SIGNING_KEY = ""

    code, _, err = run_command("audit_checkpoint")

    assert code == 1
    assert "AUDIT_SIGNING_KEY" in err


def test_checkpoint_write__new_file_each_time_in_checkpoint_dir(signing_key, settings):
    make_events(1)

    first = checkpoint_write()
    make_events(1)
    second = checkpoint_write()

    assert first != second
    assert str(first.parent) == str(second.parent) == settings.AUDIT_CHECKPOINT_DIR
    assert json.loads(second.read_text())["seq"] == json.loads(first.read_text())["seq"] + 1
