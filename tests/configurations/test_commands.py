"""configs_export, configs_import (JSON/YAML, dry run, all or nothing), configs_rotate_keys."""

import json
from io import StringIO

import pytest
import yaml
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from configurations.crypto import decrypt_value
from configurations.models import Entry, EntryVersion, Namespace


def _export(*args: str) -> dict:
    out = StringIO()
    call_command("configs_export", *args, stdout=out)
    return json.loads(out.getvalue())


def test_configs_export__secrets_only_with_flag(make_entry):
    make_entry("timeout", 30)
    make_entry("db.password", "hunter2", "string", secret=True)

    plain = _export("billing")
    full = _export("billing", "production", "--include-secrets")

    entries = {entry["key"]: entry for entry in plain["environments"][0]["entries"]}
    assert entries["timeout"]["value"] == 30
    assert "value" not in entries["db.password"]
    assert "hunter2" not in json.dumps(plain)
    assert {entry["key"]: entry["value"] for entry in full["environments"][0]["entries"]} == {
        "db.password": "hunter2",
        "timeout": 30,
    }
    event = AuditEvent.objects.get(action="config.secret.revealed")
    assert event.metadata == {"entries": ["production/db.password"]}


def test_configs_export__unknown_namespace__fails(db):
    with pytest.raises(CommandError):
        _export("nope")


def test_configs_import__round_trip_into_fresh_database(make_entry, tmp_path):
    make_entry("timeout", 30, schema={"type": "integer"})
    make_entry("db.password", "hunter2", "string", secret=True)
    document = _export("billing", "--include-secrets")
    Entry.objects.all().delete()
    EntryVersion.objects.all().delete()
    Namespace.objects.all().delete()
    path = tmp_path / "billing.yaml"
    path.write_text(yaml.safe_dump(document))

    call_command("configs_import", str(path), stdout=StringIO())

    entries = {entry.key: entry for entry in Entry.objects.all()}
    assert entries["timeout"].value == 30 and entries["timeout"].schema == {"type": "integer"}
    assert decrypt_value(entries["db.password"].value_encrypted) == "hunter2"


def test_configs_import__existing_entries__updated_only_when_changed(make_entry, tmp_path):
    make_entry("timeout", 30)
    make_entry("retries", 3)
    make_entry("db.password", "hunter2", "string", secret=True)
    document = _export("billing")  # without secret values
    document["environments"][0]["entries"][2]["value"] = 45  # timeout (entries sorted by key)
    path = tmp_path / "billing.json"
    path.write_text(json.dumps(document))
    out = StringIO()

    call_command("configs_import", str(path), stdout=out)

    assert Entry.objects.get(key="timeout").version == 2
    assert Entry.objects.get(key="retries").version == 1
    assert decrypt_value(Entry.objects.get(key="db.password").value_encrypted) == "hunter2"
    assert "entries_updated: 1" in out.getvalue()


def test_configs_import__dry_run__writes_nothing(db, tmp_path):
    path = tmp_path / "new.json"
    path.write_text(
        json.dumps(
            {
                "namespace": "new",
                "environments": [{"slug": "dev", "entries": [{"key": "a", "value_type": "string", "value": "x"}]}],
            }
        )
    )
    out = StringIO()

    call_command("configs_import", str(path), "--dry-run", stdout=out)

    assert "Dry run" in out.getvalue() and "entries_created: 1" in out.getvalue()
    assert not Namespace.objects.exists()


def test_configs_import__one_bad_entry__nothing_written(db, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps(
            {
                "namespace": "new",
                "environments": [
                    {
                        "slug": "dev",
                        "entries": [
                            {"key": "a", "value_type": "string", "value": "x"},
                            {"key": "b", "value_type": "integer", "value": "not a number"},
                        ],
                    }
                ],
            }
        )
    )

    with pytest.raises(CommandError, match="Nothing imported"):
        call_command("configs_import", str(path), stdout=StringIO())

    assert not Namespace.objects.exists()
    assert not Entry.objects.exists()


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '{"namespace": "Bad Slug"}'])
def test_configs_import__malformed__fails_cleanly(db, tmp_path, content):
    path = tmp_path / "bad.json"
    path.write_text(content)

    with pytest.raises(CommandError):
        call_command("configs_import", str(path), stdout=StringIO())


def test_configs_import__missing_file__fails(db):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("configs_import", "/nonexistent/file.yaml", stdout=StringIO())


def test_configs_rotate_keys__reencrypts_under_newest_key(make_entry, settings):
    entry = make_entry("db.password", "hunter2", "string", secret=True)
    old_key = settings.CONFIG_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    settings.CONFIG_ENCRYPTION_KEYS = [new_key, old_key]
    out = StringIO()

    call_command("configs_rotate_keys", stdout=out)

    assert "Re-encrypted 2" in out.getvalue()  # the entry and its version
    settings.CONFIG_ENCRYPTION_KEYS = [new_key]  # the old key is dropped
    entry.refresh_from_db()
    assert decrypt_value(entry.value_encrypted) == "hunter2"
    assert decrypt_value(entry.versions.get().value_encrypted) == "hunter2"
