"""The cost of authentication: `GET /api/v1/users/me/` with a Bearer JWT, against the same view with
authentication switched off, in the same run.

A throw-away instance (SQLite and the database cache in a temporary directory; PostgreSQL and Redis when
BENCH_DATABASE_URL / BENCH_REDIS_URL name them) runs two gunicorn servers (sync workers, WEB_CONCURRENCY
of them, default 2):
- "auth": the project as deployed: JWT signature and expiry, the session revocation check (one cache
  read), the user row;
- "off": the same WSGI application whose `/users/me/` view authenticates nobody: a fixed user loaded once
  per worker (`bench.bench_auth:auth_off_application`), so it does no token, cache or user work at all.
wrk (Debian package `wrk`) drives each in alternating rounds; the result is the median requests/s of the
auth rounds as a ratio of the off rounds (target >= 0.7). Bounded: ROUNDS x 2 x SECONDS of load.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

from bench import Result
from bench.support import free_port, server_env, start_gunicorn, stop

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 120
SECONDS = int(os.environ.get("BENCH_AUTH_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_AUTH_ROUNDS", "3"))
CONNECTIONS = 4
URL_PATH = "/api/v1/users/me/"
_EMAIL, _PASSWORD = "bench-auth@example.com", "bench-auth-password-5e1c"  # nosec B105 - a throw-away instance


# --- the reference application, imported by gunicorn in the "off" server ------------------------------


@functools.cache
def _bench_user():
    from accounts.models import User

    return User.objects.get(email=_EMAIL)


@functools.cache
def _auth_off_wsgi():
    application = importlib.import_module("config.wsgi").application  # first: sets Django up
    from rest_framework.authentication import BaseAuthentication

    from accounts.views import AccountUserViewSet

    class FixedUser(BaseAuthentication):
        """Authentication switched off: every request is the bench user, loaded once per worker."""

        def authenticate(self, request):
            return _bench_user(), None

    AccountUserViewSet.authentication_classes = [FixedUser]
    return application


def auth_off_application(environ, start_response):
    return _auth_off_wsgi()(environ, start_response)


# --- the driver ----------------------------------------------------------------------------------------


def _env(work: Path) -> dict[str, str]:
    env = server_env(
        work,
        WEB_CONCURRENCY=os.environ.get("WEB_CONCURRENCY", "2"),
        THROTTLE_USER_RATE="100000000/min",
        JWT_ACCESS_TTL="3600",
        CACHE_KEY_PREFIX=f"bench-auth-{os.getpid()}",
    )
    if os.environ.get("BENCH_DATABASE_URL"):
        env["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
    if os.environ.get("BENCH_REDIS_URL"):
        env["REDIS_URL"] = os.environ["BENCH_REDIS_URL"]
    return env


def _prepare(env: dict[str, str]) -> None:
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=TIMEOUT)
    admin = {**env, "DJANGO_SUPERUSER_EMAIL": _EMAIL, "DJANGO_SUPERUSER_PASSWORD": _PASSWORD}
    completed = subprocess.run(
        [*manage, "createsuperuser", "--noinput"], cwd=ROOT, env=admin, timeout=TIMEOUT, capture_output=True
    )
    if completed.returncode and b"already taken" not in completed.stderr:  # a reused BENCH_DATABASE_URL
        raise RuntimeError(completed.stderr.decode()[-500:])


def _start(env: dict[str, str], port: int, app: str, name: str, work: Path) -> subprocess.Popen:
    return start_gunicorn(
        {**env, "PROMETHEUS_MULTIPROC_DIR": str(work / f"prometheus-{name}")}, port, app, timeout=TIMEOUT
    )


def _token(port: int) -> str:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/auth/token/",
        data=json.dumps({"email": _EMAIL, "password": _PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        return json.loads(response.read())["access"]


def _check(port: int, headers: dict[str, str]) -> None:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{URL_PATH}", headers=headers)
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        assert json.loads(response.read())["email"] == _EMAIL


def _wrk(port: int, headers: dict[str, str]) -> float:
    command = ["wrk", "-t", "1", "-c", str(CONNECTIONS), "-d", f"{SECONDS}s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(
        [*command, f"http://127.0.0.1:{port}{URL_PATH}"],
        check=True,
        capture_output=True,
        text=True,
        timeout=SECONDS + 30,
    ).stdout
    if "Non-2xx" in output:
        raise RuntimeError(f"errors under load:\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def run() -> list[Result]:
    if shutil.which("wrk") is None:
        return [Result("auth: wrk not installed", 0, "-", note="skipped: apt-get install wrk")]
    work = Path(tempfile.mkdtemp(prefix="bench-auth-"))
    servers: list[subprocess.Popen] = []
    try:
        env = _env(work)
        _prepare(env)
        auth_port, off_port = free_port(), free_port()
        servers.append(_start(env, auth_port, "config.wsgi:application", "auth", work))
        servers.append(_start(env, off_port, "bench.bench_auth:auth_off_application", "off", work))
        bearer = {"Authorization": f"Bearer {_token(auth_port)}"}
        _check(auth_port, bearer)
        _check(off_port, {})
        auth_rps, off_rps = [], []
        for _ in range(ROUNDS):
            auth_rps.append(_wrk(auth_port, bearer))
            off_rps.append(_wrk(off_port, {}))
    finally:
        for process in servers:
            stop(process)
        shutil.rmtree(work, ignore_errors=True)
    auth, off = statistics.median(auth_rps), statistics.median(off_rps)
    backend = "PostgreSQL" if "DATABASE_URL" in env else "SQLite"
    cache = "Redis" if "REDIS_URL" in env else "database cache"
    return [
        Result(
            "auth: GET /users/me/ with JWT + session check vs authentication off",
            auth,
            "req/s",
            reference=off,
            target=">= 0.7",
            note=f"median of {ROUNDS}x{SECONDS}s, wrk -c{CONNECTIONS}, {env['WEB_CONCURRENCY']} sync workers, "
            f"{backend} + {cache}; rounds auth {[round(x) for x in auth_rps]} off {[round(x) for x in off_rps]}",
        )
    ]
