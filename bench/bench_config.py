"""The resolved configuration document under gunicorn (sync workers), measured with wrk.

1. Throughput of GET …/resolved/ of an environment with 1,000 entries, read with an API key on a warm
   cache, as a ratio of a bare DRF view (no authentication, no permission, no throttle, no cache) that
   returns the same bytes from the same gunicorn in the same run (target >= 0.7). The two are measured
   in alternating rounds and the median of each is compared, so background load hits both alike.
2. p99 latency of the same read for an environment with 10,000 entries at 32 concurrent connections.

Uses PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set (a fresh database `<name>_bench_config`
is created next to DATABASE_URL's and dropped afterwards), else the embedded mode in a temporary
directory. Django runs only in subprocesses (seeding, gunicorn), so this module imports nothing of it.
Needs `wrk` (Debian: apt-get install -y wrk).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench import Result
from bench.support import free_port, start_gunicorn, stop

ROOT = Path(__file__).resolve().parent.parent
BARE_PATH = "/api/v1/bench-bare/"
ROUNDS = int(os.environ.get("BENCH_CONFIG_ROUNDS", "3"))
SECONDS = int(os.environ.get("BENCH_CONFIG_SECONDS", "5"))
# The project's deployment default (config/gunicorn.conf.py): 2 x cores + 1 sync workers, which keeps the
# CPU busy while a worker waits on Redis or PostgreSQL.
WORKERS = int(os.environ.get("BENCH_CONFIG_WORKERS", str((os.cpu_count() or 1) * 2 + 1)))
CONNECTIONS = 16


# The gunicorn application: the project's URLs plus the bare reference view ---------------------------


def bare_wsgi():
    """gunicorn factory (`bench.bench_config:bare_wsgi()`): the project with one extra, bare DRF view."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application
    from django.http import HttpResponse
    from django.urls import include, path
    from rest_framework.views import APIView

    body = Path(os.environ["BENCH_BARE_BODY"])
    loaded: list[bytes] = []

    class BareView(APIView):
        authentication_classes: list = []
        permission_classes: list = []
        throttle_classes: list = []

        def get(self, request):
            if not loaded:
                loaded.append(body.read_bytes())
            return HttpResponse(loaded[0], content_type="application/json")

    global urlpatterns
    # Routed after the project's URLs, so its resolution costs no less than a project route's.
    urlpatterns = [path("", include("config.urls")), path(BARE_PATH.strip("/") + "/", BareView.as_view())]
    settings.ROOT_URLCONF = __name__
    return get_wsgi_application()


# Seeding (run in a subprocess with the bench environment) -----------------------------------------


def _seed(environment_slug: str, count: int) -> None:
    """Create namespace `bench`, environment `environment_slug` with `count` entries; print an API key."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    from configurations import services
    from configurations.models import Entry, EntryVersion, Environment, Namespace

    namespace, _ = Namespace._base_manager.get_or_create(slug="bench")
    environment = Environment._base_manager.create(namespace=namespace, slug=environment_slug)
    # Seed data straight into the tables (a benchmark fixture, not a change anyone made: no audit trail).
    values = [(f"service.setting-{n:05}", [f"value-{n}", n, {"n": n, "on": n % 2 == 0}][n % 3]) for n in range(count)]
    types = ["string", "integer", "json"]
    entries = Entry._base_manager.bulk_create(
        [
            Entry(environment=environment, key=key, value=value, value_type=types[n % 3])
            for n, (key, value) in enumerate(values)
        ],
        batch_size=1000,
    )
    EntryVersion._base_manager.bulk_create(
        [
            EntryVersion(
                entry=entry,
                environment=environment,
                key=entry.key,
                version=1,
                value_type=entry.value_type,
                value=entry.value,
                change="created",
            )
            for entry in entries
        ],
        batch_size=1000,
    )
    _, raw_key = services.api_key_create(
        environment=environment, name="bench", expires_at=None, actor=services.SYSTEM_ACTOR
    )
    print(raw_key)


# Orchestration ---------------------------------------------------------------------------------------


@contextmanager
def _environment() -> Iterator[dict[str, str]]:
    """Process environment for the subprocesses: a throw-away database, the caller's Redis db if any."""
    from cryptography.fernet import Fernet

    from config.settings.keygen import generate_signing_key

    with tempfile.TemporaryDirectory(prefix="bench-config-") as tmp:
        env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings.base",
            DEBUG="false",
            EMAIL_URL="dummymail://",
            VAR_DIR=tmp,
            SECRET_KEY=secrets.token_urlsafe(50),
            CONFIG_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
            JWT_SIGNING_KEYS=generate_signing_key(Path(tmp) / "jwt-signing-key.pem"),
            FILES_LINK_SIGNING_KEYS=secrets.token_urlsafe(50),
            LOG_LEVEL="WARNING",
            GUNICORN_ACCESSLOG="",
            GUNICORN_MAX_REQUESTS="0",
            PROMETHEUS_MULTIPROC_DIR=str(Path(tmp) / "prometheus"),
            BENCH_BARE_BODY=str(Path(tmp) / "bare.json"),
            CACHE_KEY_PREFIX=f"bench-{secrets.token_hex(4)}",
        )
        database_url = os.environ.get("DATABASE_URL", "")
        if not database_url.startswith("postgres"):
            env.pop("DATABASE_URL", None)
            yield env
            return
        import psycopg

        parsed = urllib.parse.urlparse(database_url)
        name = f"{parsed.path.lstrip('/') or 'postgres'}_bench_config"
        admin = parsed._replace(path="/postgres").geturl()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = parsed._replace(path=f"/{name}").geturl()
        try:
            yield env
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _python(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {result.stderr[-2000:]}")
    return result.stdout


@contextmanager
def _gunicorn(env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    process = start_gunicorn(env, port, "--workers", str(WORKERS), "bench.bench_config:bare_wsgi()", timeout=60)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)


def _get(url: str, headers: dict[str, str]) -> bytes:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read()


def _wrk(url: str, headers: dict[str, str], *, connections: int, seconds: int) -> dict[str, float]:
    command = ["wrk", f"-t{min(connections, 2)}", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    for name, value in headers.items():
        command[1:1] = ["-H", f"{name}: {value}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    if "Non-2xx" in output:
        raise RuntimeError(f"non-2xx answers from {url}:\n{output}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", output)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    return {"rate": rate, "p99_ms": float(p99.group(1)) * scale}


def run() -> list[Result]:
    if shutil.which("wrk") is None:
        return [Result("config resolved", 0.0, "req/s", note="skipped: wrk missing (apt-get install -y wrk)")]
    load_before = os.getloadavg()[0]
    with _environment() as env:
        _python(env, "manage.py", "migrate", "--noinput", "-v", "0")
        _python(env, "manage.py", "createcachetable")
        small_key = _python(env, "-m", "bench.bench_config", "seed", "small", "1000").strip().splitlines()[-1]
        large_key = _python(env, "-m", "bench.bench_config", "seed", "large", "10000").strip().splitlines()[-1]
        with _gunicorn(env) as base_url:
            resolved = f"{base_url}/api/v1/namespaces/bench/environments/small/resolved/"
            small = {"Authorization": f"Api-Key {small_key}"}
            Path(env["BENCH_BARE_BODY"]).write_bytes(_get(resolved, small))  # also warms the cache
            bare = f"{base_url}{BARE_PATH}"
            assert _get(bare, {}) == _get(resolved, small), "the reference must return the same bytes"
            _wrk(resolved, small, connections=CONNECTIONS, seconds=2)  # warm every worker
            _wrk(bare, {}, connections=CONNECTIONS, seconds=2)
            config_rates, bare_rates = [], []
            for _ in range(ROUNDS):
                config_rates.append(_wrk(resolved, small, connections=CONNECTIONS, seconds=SECONDS)["rate"])
                bare_rates.append(_wrk(bare, {}, connections=CONNECTIONS, seconds=SECONDS)["rate"])
            large_url = f"{base_url}/api/v1/namespaces/bench/environments/large/resolved/"
            large = {"Authorization": f"Api-Key {large_key}"}
            size = len(_get(large_url, large))
            _wrk(large_url, large, connections=32, seconds=2)
            tail = _wrk(large_url, large, connections=32, seconds=max(SECONDS, 10))
    mode = (
        "PostgreSQL+Redis"
        if os.environ.get("DATABASE_URL", "").startswith("postgres") and os.environ.get("REDIS_URL")
        else "embedded (SQLite + database cache)"
    )
    load = f"load average {load_before:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    common = f"gunicorn {WORKERS} sync workers, wrk, {mode}; {load}"
    return [
        Result(
            "config resolved, 1,000 entries, Api-Key, warm cache (req/s)",
            statistics.median(config_rates),
            "req/s",
            reference=statistics.median(bare_rates),
            target=">= 0.7",
            note=f"reference: bare DRF view, same bytes; median of {ROUNDS} alternating {SECONDS}s rounds, "
            f"{CONNECTIONS} connections; {common}",
        ),
        Result(
            "config resolved, 10,000 entries, p99 latency at 32 connections",
            tail["p99_ms"],
            "ms",
            note=f"{size:,} bytes, {tail['rate']:.0f} req/s; {common}",
        ),
    ]


if __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == "seed":
    _seed(sys.argv[2], int(sys.argv[3]))
