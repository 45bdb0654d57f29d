"""The one place the process environment is read.

Booleans are strict (`true` or `false`, any case; empty means the default); anything else stops start-up
with a one-line message, so a typo (`ture`, `0`, `yes`) never silently flips a security setting.
"""

import sys
from pathlib import Path

import environ

env = environ.Env()

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))


CONFIG_ERROR_EXIT = 2  # the exit status of a refused configuration


def fail(message: str) -> None:
    """Refuse to start with a one-line explanation (no traceback for an operator's typo)."""
    sys.stderr.write(f"configuration error: {message}\n")
    raise SystemExit(CONFIG_ERROR_EXIT)


def env_bool(name: str, default: bool) -> bool:
    raw = env.str(name, default=None)
    value = (raw or "").strip().lower()
    if value == "":
        return default
    if value in ("true", "false"):
        return value == "true"
    fail(f"{name} must be true or false, got {raw!r}")
    return default  # unreachable; keeps type checkers happy


def env_list(name: str, default: list[str]) -> list[str]:
    raw = env.str(name, default=None)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    raw = env.str(name, default=None)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        fail(f"{name} must be an integer, got {raw!r}")
    return default


DEBUG = env_bool("DEBUG", False)
TESTING = env_bool("TESTING", False)
