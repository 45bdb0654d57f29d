"""Settings from the environment: strict parsing, and a production start-up that refuses missing secrets."""

import os
import subprocess
import sys

import pytest

from config.settings.env import CONFIG_ERROR_EXIT, env_bool, env_int, env_list
from tests.support.servers import ROOT


@pytest.mark.parametrize(
    ("raw", "expected"), [("true", True), ("TRUE", True), (" false ", False), ("False", False), ("", None)]
)
def test_env_bool__true_false_or_empty__parses(monkeypatch, raw, expected):
    monkeypatch.setenv("SOME_FLAG", raw)

    assert env_bool("SOME_FLAG", default=None) is expected  # type: ignore[arg-type]


@pytest.mark.parametrize("raw", ["1", "0", "yes", "no", "on", "ture", "flase"])
def test_env_bool__anything_else__stops_start_up_with_one_line(monkeypatch, capsys, raw):
    monkeypatch.setenv("SOME_FLAG", raw)

    with pytest.raises(SystemExit) as stop:
        env_bool("SOME_FLAG", default=False)

    assert stop.value.code == CONFIG_ERROR_EXIT
    assert capsys.readouterr().err == f"configuration error: SOME_FLAG must be true or false, got {raw!r}\n"


def test_env_bool__unset__returns_default(monkeypatch):
    monkeypatch.delenv("SOME_FLAG", raising=False)

    assert env_bool("SOME_FLAG", default=True) is True


def test_env_int__not_a_number__stops_start_up(monkeypatch, capsys):
    monkeypatch.setenv("SOME_NUMBER", "12s")

    with pytest.raises(SystemExit):
        env_int("SOME_NUMBER", 5)

    assert "SOME_NUMBER must be an integer, got '12s'" in capsys.readouterr().err


def test_env_list__comma_list__is_trimmed(monkeypatch):
    monkeypatch.setenv("SOME_LIST", " a.example , ,b.example")

    assert env_list("SOME_LIST", []) == ["a.example", "b.example"]


def _start(tmp_path, **env: str) -> subprocess.CompletedProcess:
    clean = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "PYTEST_"))}
    for name in (
        "SECRET_KEY",
        "DEBUG",
        "CONFIG_ENCRYPTION_KEYS",
        "JWT_SIGNING_KEYS",
        "TESTING",
        "DATABASE_URL",
        "REDIS_URL",
    ):
        clean.pop(name, None)
    clean.update(VAR_DIR=str(tmp_path / "var"), DJANGO_SETTINGS_MODULE="config.settings.base", **env)
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


def test_start_up__production_without_secret_key__refuses_with_one_line(tmp_path):
    result = _start(tmp_path)

    assert result.returncode == CONFIG_ERROR_EXIT
    assert result.stderr.startswith("configuration error: SECRET_KEY is not set")
    assert result.stderr.count("\n") == 1, result.stderr
    assert not (tmp_path / "var" / "secret_key").exists()


def test_start_up__debug_typo__refuses_with_one_line(tmp_path):
    result = _start(tmp_path, DEBUG="yes", SECRET_KEY="x" * 50)

    assert result.returncode == CONFIG_ERROR_EXIT
    assert result.stderr == "configuration error: DEBUG must be true or false, got 'yes'\n"


def test_start_up__debug_without_secret_key__generates_a_private_key_once(tmp_path):
    first = _start(tmp_path, DEBUG="true")
    key_file = tmp_path / "var" / "secret_key"
    key = key_file.read_text()
    second = _start(tmp_path, DEBUG="true")

    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert len(key) >= 50
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert key_file.read_text() == key
