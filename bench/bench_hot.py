"""The hot paths against a separate, bare Django + DRF project (bench/bare.py), from outside, with wrk.

Both run under gunicorn with the same number of sync workers (WEB_CONCURRENCY, default 2) on the same
machine in the same run: the project as deployed (config/gunicorn.conf.py, DEBUG off, PostgreSQL +
Redis, every middleware, throttle, the request log) and the bare project serving the *same bytes* from
one APIView (and a single-row insert / update for the writes). Each round measures every request on
both, the project and the reference alternating (the order flips each round), so background load hits
both alike; the figure is the ratio of the medians over ROUNDS rounds, with each side's min-max and the
p99 latencies. Reads: `users/me` (Bearer), `resolved/` of 1,000 and 10,000 entries (Api-Key, warm cache,
and with a matching If-None-Match: 304), the file list (20 files), one entry. Writes: entry POST and
PATCH (If-Match: *) against the bare insert and update.

Needs PostgreSQL and Redis (DATABASE_URL / REDIS_URL name the servers; two throw-away databases,
`<name>_bench_hot` and `<name>_bench_bare`, are created and dropped) and wrk. The per-ip and per-user
rates are raised (wrk is one client), the throttles still count every request.

`BENCH_HOT_ONLY` (comma-separated, case-insensitive substrings of the target names, e.g. `PATCH,POST`)
measures only the targets whose name contains one of them; unset, all of them.
"""

from __future__ import annotations

import json
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
from dataclasses import dataclass, field
from pathlib import Path

from bench import Result
from bench.bare import generate
from bench.support import ROOT, free_port, server_env, start_gunicorn, stop

ROUNDS = int(os.environ.get("BENCH_HOT_ROUNDS", "3"))
SECONDS = int(os.environ.get("BENCH_HOT_SECONDS", "5"))
WORKERS = int(os.environ.get("WEB_CONCURRENCY", "2"))
CONNECTIONS = int(os.environ.get("BENCH_HOT_CONNECTIONS", str(2 * WORKERS)))
ONLY = [part.strip().lower() for part in os.environ.get("BENCH_HOT_ONLY", "").split(",") if part.strip()]
EMAIL, PASSWORD = "bench-hot@example.com", "bench-hot-Passw0rd-2026"  # nosec B105 - a throw-away instance
NS = "/api/v1/namespaces/bench/environments"
POST_SCRIPT = """
local counter, prefix = 0, "k"
function init(args) prefix = args[1] end
request = function()
  counter = counter + 1
  local body = string.format('{"key": "%s-%d", "value": %d, "value_type": "integer"}', prefix, counter, counter)
  return wrk.format("POST", nil, nil, body)
end
"""
PATCH_SCRIPT = """
local counter, pattern, offset = 0, "", 0
function init(args) pattern, offset = args[1], tonumber(args[2]) end
request = function()
  counter = counter + 1
  local path = string.format(pattern, math.random(0, 99) + offset)
  return wrk.format("PATCH", path, nil, string.format('{"value": %d}', counter))
end
"""


# Seeding (in a subprocess with the project's environment) ---------------------------------------------


def _seed() -> None:
    """A verified editor with 20 files; namespace `bench` with environments of 1,000 and 10,000 entries
    (an API key each) and `writes` with 100 entries; prints the keys as JSON."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    from django.contrib.auth.models import Group

    from accounts.models import User
    from configurations import services
    from configurations.models import Namespace
    from downloads.services import file_create_from_local_path

    user = User.objects.create_user(EMAIL, PASSWORD, email_verified=True, role="editor")
    user.groups.set(Group.objects.filter(name="editor"))
    for n in range(20):
        handle, path = tempfile.mkstemp()
        os.write(handle, f"file {n}\n".encode() * 100)
        os.close(handle)
        file_create_from_local_path(owner=user, name=f"file-{n:02}.txt", source_path=path)
    namespace = Namespace.objects.create(slug="bench")
    keys = {}
    for slug, count in (("small", 1000), ("large", 10000), ("writes", 100)):
        environment = namespace.environments.create(slug=slug)
        _bulk_entries(environment, count, writable=slug == "writes")
        _, keys[slug] = services.api_key_create(
            environment=environment, name="bench", expires_at=None, actor=services.SYSTEM_ACTOR
        )
    print(json.dumps(keys))


def _bulk_entries(environment, count: int, *, writable: bool) -> None:
    """`count` entries of mixed types, or integers `w-000`... for the writes (a PATCH sets an integer)."""
    # Benchmark fixture data straight into the tables (not a change anyone made: no audit trail).
    from configurations.models import Entry, EntryVersion

    types = ["integer"] if writable else ["string", "integer", "json"]
    values = [n if writable else [f"value-{n}", n, {"n": n, "on": n % 2 == 0}][n % 3] for n in range(count)]
    prefix = "w-" if writable else "service.setting-"
    entries = Entry._base_manager.bulk_create(
        [
            Entry(environment=environment, key=f"{prefix}{n:03}", value=value, value_type=types[n % len(types)])
            for n, value in enumerate(values)
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


# Orchestration -----------------------------------------------------------------------------------------


@contextmanager
def _databases(base_url: str) -> Iterator[tuple[str, str]]:
    import psycopg

    parsed = urllib.parse.urlparse(base_url)
    stem = parsed.path.lstrip("/") or "postgres"
    names = [f"{stem}_bench_hot", f"{stem}_bench_bare"]
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield parsed._replace(path=f"/{names[0]}").geturl(), parsed._replace(path=f"/{names[1]}").geturl()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _python(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=900
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {result.stderr[-2000:]}")
    return result.stdout


def _http(url: str, headers: dict[str, str], data: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # nosec B310 - loopback
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@dataclass
class Target:
    name: str
    goal: float
    ours: tuple[str, dict[str, str]]
    bare: tuple[str, dict[str, str]]
    script: tuple[str, list[str], list[str]] | None = None  # lua, our args, bare args
    rates: dict[str, list[float]] = field(default_factory=lambda: {"ours": [], "bare": []})
    p99: dict[str, list[float]] = field(default_factory=lambda: {"ours": [], "bare": []})


def _wrk(url: str, headers: dict[str, str], seconds: int, script: tuple[str, list[str]] | None) -> tuple[float, float]:
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    if script is not None:
        command += ["-s", script[0]]
    command.append(url)
    if script is not None:
        command += ["--", *script[1]]
    output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    if "Non-2xx" in output:
        raise RuntimeError(f"error answers from {url}: {output[-300:]}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", output)
    return rate, float(p99.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]


def _targets(ours: str, bare: str, token: str, keys: dict[str, str], etags: dict[str, str], work: Path) -> list[Target]:
    bearer = {"Authorization": f"Bearer {token}"}
    small, large = ({"Authorization": f"Api-Key {keys[slug]}"} for slug in ("small", "large"))
    post, patch = work / "post.lua", work / "patch.lua"
    post.write_text(POST_SCRIPT)
    patch.write_text(PATCH_SCRIPT)
    write = {**bearer, "Content-Type": "application/json"}
    entries = f"{ours}{NS}/writes/entries/"
    return [
        Target("users/me, Bearer", 0.7, (f"{ours}/api/v1/users/me/", bearer), (f"{bare}/bytes/me/", {})),
        Target("resolved 1,000, Api-Key", 0.7, (f"{ours}{NS}/small/resolved/", small), (f"{bare}/bytes/r1k/", {})),
        Target(
            "resolved 1,000, If-None-Match 304",
            0.9,
            (f"{ours}{NS}/small/resolved/", {**small, "If-None-Match": etags["r1k"]}),
            (f"{bare}/bytes/r1k/", {"If-None-Match": etags["r1k"]}),
        ),
        Target("resolved 10,000, Api-Key", 0.7, (f"{ours}{NS}/large/resolved/", large), (f"{bare}/bytes/r10k/", {})),
        Target(
            "resolved 10,000, If-None-Match 304",
            0.9,
            (f"{ours}{NS}/large/resolved/", {**large, "If-None-Match": etags["r10k"]}),
            (f"{bare}/bytes/r10k/", {"If-None-Match": etags["r10k"]}),
        ),
        Target("files list (20 files)", 0.7, (f"{ours}/api/v1/files/", bearer), (f"{bare}/bytes/files/", {})),
        Target("one entry GET", 0.7, (f"{entries}w-000/", bearer), (f"{bare}/bytes/entry/", {})),
        Target(
            "entry POST vs bare insert",
            0.5,
            (entries, write),
            (f"{bare}/rows/", {"Content-Type": "application/json"}),
            script=(str(post), ["k"], ["k"]),
        ),
        Target(
            "entry PATCH vs bare update",
            0.5,
            (entries, {**write, "If-Match": "*"}),
            (f"{bare}/rows/", {"Content-Type": "application/json"}),
            script=(str(patch), [f"{NS}/writes/entries/w-%03d/", "0"], ["/rows/%d/", "1"]),
        ),
    ]


def _selected(targets: list[Target]) -> list[Target]:
    chosen = [target for target in targets if not ONLY or any(part in target.name.lower() for part in ONLY)]
    if not chosen:
        raise RuntimeError(f"BENCH_HOT_ONLY={','.join(ONLY)} names no target of {[t.name for t in targets]}")
    return chosen


def _capture(ours: str, bare_dir: Path, token: str, keys: dict[str, str]) -> dict[str, str]:
    """Store what the project answers as the bare project's bytes; returns the resolved ETags."""
    bearer = {"Authorization": f"Bearer {token}"}
    sources = {
        "me": (f"{ours}/api/v1/users/me/", bearer),
        "r1k": (f"{ours}{NS}/small/resolved/", {"Authorization": f"Api-Key {keys['small']}"}),
        "r10k": (f"{ours}{NS}/large/resolved/", {"Authorization": f"Api-Key {keys['large']}"}),
        "files": (f"{ours}/api/v1/files/", bearer),
        "entry": (f"{ours}{NS}/writes/entries/w-000/", bearer),
    }
    etags = {}
    for name, (url, headers) in sources.items():
        status, response_headers, body = _http(url, headers)
        if status != 200:
            raise RuntimeError(f"{url} answered {status}: {body[:300]!r}")
        (bare_dir / "bytes" / name).write_bytes(body)
        if name.startswith("r"):
            etags[name] = response_headers["ETag"]
            (bare_dir / "bytes" / f"{name}.etag").write_text(etags[name])
    return etags


def _token(ours: str) -> str:
    body = json.dumps({"email": EMAIL, "password": PASSWORD}).encode()
    status, _, answer = _http(f"{ours}/api/v1/auth/token/", {"Content-Type": "application/json"}, body)
    if status != 200:
        raise RuntimeError(f"login answered {status}: {answer[:300]!r}")
    return json.loads(answer)["access"]


def _measure(targets: list[Target]) -> None:
    for target in targets:  # warm every worker of both (caches, connections, imports)
        for side in ("ours", "bare"):
            url, headers = getattr(target, side)
            script = (target.script[0], target.script[1 if side == "ours" else 2]) if target.script else None
            _wrk(url, headers, 1, _round_script(script, "warm"))
    for round_number in range(ROUNDS):
        for target in targets:
            sides = ("ours", "bare") if round_number % 2 == 0 else ("bare", "ours")
            for side in sides:
                url, headers = getattr(target, side)
                script = (target.script[0], target.script[1 if side == "ours" else 2]) if target.script else None
                rate, p99 = _wrk(url, headers, SECONDS, _round_script(script, f"r{round_number}"))
                target.rates[side].append(rate)
                target.p99[side].append(p99)


def _round_script(script: tuple[str, list[str]] | None, prefix: str) -> tuple[str, list[str]] | None:
    """POST keys must be new in every round: the first script argument is the key prefix."""
    if script is None or "post" not in Path(script[0]).name:
        return script
    return script[0], [f"{prefix}-{secrets.token_hex(3)}"]


def _span(values: list[float]) -> str:
    return f"{min(values):,.0f}-{max(values):,.0f}"


def _results(targets: list[Target], context: str) -> list[Result]:
    results = []
    for target in targets:
        ours, bare = (statistics.median(target.rates[side]) for side in ("ours", "bare"))
        ratios = [o / b for o, b in zip(target.rates["ours"], target.rates["bare"], strict=True)]
        p99_ours, p99_bare = (statistics.median(target.p99[side]) for side in ("ours", "bare"))
        results.append(
            Result(
                f"hot: {target.name}",
                ours,
                "req/s",
                reference=bare,
                target=f">= {target.goal}",
                note=f"ours {_span(target.rates['ours'])}, bare {_span(target.rates['bare'])} req/s; round ratios "
                f"{min(ratios):.2f}-{max(ratios):.2f}; p99 {p99_ours:.1f} vs {p99_bare:.1f} ms "
                f"({p99_ours / p99_bare:.2f}x); {context}",
            )
        )
    return results


def run() -> list[Result]:
    if shutil.which("wrk") is None:
        return [Result("hot paths", 0, "-", note="skipped: wrk missing (apt-get install -y wrk)")]
    database_url, redis_url = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if not (database_url.startswith("postgres") and redis_url):
        return [Result("hot paths", 0, "-", note="skipped: needs DATABASE_URL (PostgreSQL) and REDIS_URL")]
    load_before = os.getloadavg()
    servers = []
    with tempfile.TemporaryDirectory(prefix="bench-hot-") as tmp, _databases(database_url) as (ours_db, bare_db):
        work = Path(tmp)
        env = server_env(
            work,
            DATABASE_URL=ours_db,
            REDIS_URL=redis_url,
            CACHE_KEY_PREFIX=f"bench-hot-{secrets.token_hex(4)}",
            WEB_CONCURRENCY=str(WORKERS),
            THROTTLE_USER_RATE="100000000/min",
            THROTTLE_ANON_RATE="100000000/min",
            THROTTLE_AUTH_RATE="100000000/min",
            JWT_ACCESS_TTL="3600",
            EMAIL_URL="smtp://127.0.0.1:1025",
            PROMETHEUS_MULTIPROC_DIR=str(work / "prometheus"),
            GUNICORN_MAX_REQUESTS="0",
        )
        _python(env, "manage.py", "migrate", "--noinput", "-v", "0")
        keys = json.loads(_python(env, "-m", "bench.bench_hot", "seed").strip().splitlines()[-1])
        bare_dir = generate(work / "bare", bare_db)
        bare_env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
        try:
            ours_port, bare_port = free_port(), free_port()
            servers.append(start_gunicorn(env, ours_port, "--workers", str(WORKERS), timeout=120))
            ours = f"http://127.0.0.1:{ours_port}"
            token = _token(ours)
            etags = _capture(ours, bare_dir, token, keys)
            servers.append(
                start_gunicorn(
                    bare_env,
                    bare_port,
                    "--workers",
                    str(WORKERS),
                    "--worker-class",
                    "sync",
                    "bareref.wsgi:application",
                    cwd=bare_dir,
                    config=None,
                    timeout=120,
                )
            )
            bare = f"http://127.0.0.1:{bare_port}"
            targets = _selected(_targets(ours, bare, token, keys, etags, work))
            _measure(targets)
        finally:
            for process in servers:
                stop(process)
    load = f"load average {load_before[0]:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    context = (
        f"median of {ROUNDS} alternating {SECONDS}s rounds, wrk -c{CONNECTIONS}, {WORKERS} gunicorn workers each "
        f"(project: {os.environ.get('GUNICORN_WORKER_CLASS', 'config/gunicorn.conf.py default (gevent)')}, "
        f"bare: sync), PostgreSQL + Redis; {load}"
    )
    return _results(targets, context)


if __name__ == "__main__" and sys.argv[1:] == ["seed"]:
    _seed()
