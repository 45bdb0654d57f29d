"""One key per job: rotating SECRET_KEY breaks no link and no secret; each key rotates alone (issue 12.16)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from rest_framework.test import APIClient

from config.settings.env import CONFIG_ERROR_EXIT
from downloads.services import link_create
from tests.downloads.factories import make_file
from tests.support.servers import ROOT

PRINT_KEYS = (
    "from django.conf import settings; "
    "print(settings.CONFIG_ENCRYPTION_KEYS[0]); print(settings.FILES_LINK_SIGNING_KEYS[0]); "
    "print(settings.AUDIT_SIGNING_KEY)"
)


def _manage(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "PYTEST_"))}
    for name in ("SECRET_KEY", "DEBUG", "CONFIG_ENCRYPTION_KEYS", "FILES_LINK_SIGNING_KEYS", "AUDIT_SIGNING_KEY"):
        clean.pop(name, None)
    for name in ("TESTING", "DATABASE_URL", "REDIS_URL"):
        clean.pop(name, None)
    clean.update(VAR_DIR=str(tmp_path / "var"), DJANGO_SETTINGS_MODULE="config.settings.base", **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


@pytest.mark.django_db
def test_link__secret_key_rotated__still_works(user, settings):
    _, token = link_create(file=make_file(owner=user), expires_in=60)

    settings.SECRET_KEY = "a-brand-new-secret-key-" + "y" * 40

    assert APIClient().get(f"/api/v1/d/{token}/").status_code == 200


@pytest.mark.django_db
def test_link__link_key_rotated__old_key_listed_keeps_working_removed_stops(user, settings):
    old = settings.FILES_LINK_SIGNING_KEYS[0]
    _, token = link_create(file=make_file(owner=user), expires_in=60)

    settings.FILES_LINK_SIGNING_KEYS = ["the-new-link-key-" + "z" * 40, old]
    still = APIClient().get(f"/api/v1/d/{token}/")
    settings.FILES_LINK_SIGNING_KEYS = ["the-new-link-key-" + "z" * 40]
    dropped = APIClient().get(f"/api/v1/d/{token}/")

    assert still.status_code == 200
    assert dropped.status_code == 403
    assert dropped.json()["code"] == "link_invalid"


def test_start_up__production_without_link_signing_keys__refuses_with_one_line(tmp_path):
    result = _manage(
        tmp_path, "check", SECRET_KEY="x" * 50, CONFIG_ENCRYPTION_KEYS="VO0qBKA0JDIwHSKSfNv9HnhF9feTmxShYqsvfn1nggs="
    )

    assert result.returncode == CONFIG_ERROR_EXIT
    assert result.stderr.startswith("configuration error: FILES_LINK_SIGNING_KEYS is not set")


def test_start_up__debug__each_key_generated_apart_from_secret_key(tmp_path):
    first = _manage(tmp_path, "shell", "-c", PRINT_KEYS, DEBUG="true", SECRET_KEY="first-" + "a" * 50)
    second = _manage(tmp_path, "shell", "-c", PRINT_KEYS, DEBUG="true", SECRET_KEY="second-" + "b" * 50)

    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    fernet, link, audit = first.stdout.splitlines()[-3:]
    assert second.stdout.splitlines()[-3:] == [fernet, link, audit]  # SECRET_KEY changed, nothing else did
    assert audit.endswith("audit_signing_key.pem")
    for name in ("config_encryption_key", "link_signing_key", "audit_signing_key.pem"):
        assert (tmp_path / "var" / name).stat().st_mode & 0o777 == 0o600
