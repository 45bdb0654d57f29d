"""A throwaway copy of the app for load runs, fuzzing and drills: own database, own cache prefix, real gunicorn.

`Stack("load")` creates the PostgreSQL database `<base>_load` on the server of DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/proof), migrates it, creates a verified superuser, and runs gunicorn
on a free loopback port with production settings (DEBUG off, generated keys). Redis comes from
REDIS_URL (default redis://127.0.0.1:6379/7) with a key prefix of its own. Everything it started is
stopped by PID; the database is dropped unless KEEP_DB=true.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from cryptography.fernet import Fernet
from psycopg import sql

from config.settings.keygen import generate_signing_key
from tests.support.launcher import free_port, start_gunicorn, stop

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/proof"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/7"
ADMIN_EMAIL = "proof-admin@example.com"
ADMIN_PASSWORD = "proof-" + "Admin-Passw0rd-2026"


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def http_json(method: str, url: str, body: dict | None = None, headers: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - our own loopback server
    request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            raw = response.read()
            return response.status, json.loads(raw) if raw else {}
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw) if raw else {}
        except ValueError:
            return error.code, {"raw": raw[:200].decode(errors="replace")}


class Stack:
    """The app under gunicorn against a database of its own. Use as a context manager."""

    def __init__(self, name: str, *, workers: int = 2, **extra_env: str):
        base = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
        if not base.startswith(("postgres://", "postgresql://")):
            raise SystemExit(f"{name}: needs PostgreSQL; DATABASE_URL is {base.split(':')[0]}")
        self.name = name
        self.workers = workers
        self.database = f"{urlsplit(base).path.lstrip('/') or 'proof'}_{name}".replace("-", "_")
        self.database_url = _with_database(base, self.database)
        self.admin_url = _with_database(base, "postgres")
        self.var_dir = ROOT / "var" / f"proof-{name}"
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.env = self._environment(extra_env)

    def _environment(self, extra: dict[str, str]) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST_", "COV_CORE_"))}
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings.base",
            DATABASE_URL=self.database_url,
            REDIS_URL=os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL,
            CACHE_KEY_PREFIX=f"proof-{self.name}-{secrets.token_hex(4)}",
            SECRET_KEY=secrets.token_urlsafe(64),
            CONFIG_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
            FILES_LINK_SIGNING_KEYS=secrets.token_urlsafe(50),
            DEBUG="false",
            VAR_DIR=str(self.var_dir),
            MEDIA_ROOT=str(self.var_dir / "media"),
            PROMETHEUS_MULTIPROC_DIR=str(self.var_dir / "prometheus"),
            ALLOWED_HOSTS="127.0.0.1,localhost",
            EMAIL_URL="dummymail://",
            GUNICORN_ACCESSLOG="",
            LOG_LEVEL=os.environ.get("LOG_LEVEL", "WARNING"),
            DJANGO_SUPERUSER_EMAIL=ADMIN_EMAIL,
            DJANGO_SUPERUSER_PASSWORD=ADMIN_PASSWORD,
        )
        env.update(extra)
        return env

    # -- lifecycle -----------------------------------------------------------------------------------
    def __enter__(self) -> Stack:
        self.create_database()
        shutil.rmtree(self.var_dir, ignore_errors=True)
        (self.var_dir / "media").mkdir(parents=True)
        # After the wipe above, so the key outlives it.
        self.env["JWT_SIGNING_KEYS"] = generate_signing_key(self.var_dir / "jwt-signing-key.pem")
        self.manage("migrate", "--noinput", "--verbosity", "0")
        self.manage("collectstatic", "--noinput", "--verbosity", "0")
        self.manage("createsuperuser", "--noinput")
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()
        if os.environ.get("KEEP_DB", "false") != "true":
            self.drop_database()

    def create_database(self) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.database)))
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.database)))

    def drop_database(self) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.database)))

    def manage(self, *args: str, stdin: str | None = None) -> str:
        result = subprocess.run(  # noqa: S603 - fixed argv, no shell
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def start(self) -> None:
        log = open(self.var_dir / "gunicorn.log", "ab")  # noqa: SIM115 - kept open for the server's life
        self.process = start_gunicorn(self.env, self.port, "--workers", str(self.workers), log=log)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)

    # -- credentials ---------------------------------------------------------------------------------
    def token(self, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> str:
        """An access token from POST /api/v1/auth/token/, or minted with simplejwt if that is not there yet."""
        status, body = http_json("POST", f"{self.base_url}/api/v1/auth/token/", {"email": email, "password": password})
        if status == 200:
            return body["access"]
        if status not in (404, 405):
            raise RuntimeError(f"POST /api/v1/auth/token/ answered {status}: {body}")
        script = (
            "from django.contrib.auth import get_user_model\n"
            "from rest_framework_simplejwt.tokens import RefreshToken\n"
            f"user = get_user_model().objects.get(email={email!r})\n"
            "print(RefreshToken.for_user(user).access_token)\n"
        )
        return self.manage("shell", "--no-imports", "-c", script).strip().splitlines()[-1]
