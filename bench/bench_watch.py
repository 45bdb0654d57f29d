"""Watch at scale: WATCHERS concurrent `Prefer: wait` requests held by one instance, woken by a write made
through another instance.

A throw-away instance (SQLite and the database cache in a temporary directory; PostgreSQL and Redis when
BENCH_DATABASE_URL / BENCH_REDIS_URL name them) runs two gunicorn servers as deployed (gevent workers):
"watch" (BENCH_WATCH_WORKERS processes, default 2, the WEB_CONCURRENCY of a 2-core host) and "write". An async client
(aiohttp, one connection per watcher) then:
1. measures the p99 of `GET /users/me/` on the watch server while it is idle;
2. opens WATCHERS watches of one environment's resolved/ (API key, If-None-Match, `Prefer: wait=30`), waits
   until they are all held, and reads the watch server's worker RSS before and after (memory per watcher);
3. measures `GET /users/me/` on the watch server again while they are held (target p99 < 2x idle);
4. writes the entry through the write server and times each watcher's 200 from the moment the write was
   sent (target: >= 99 % within 1 s).
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import Result
from bench.support import free_port, server_env, start_gunicorn, stop

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 120
WATCHERS = int(os.environ.get("BENCH_WATCHERS", "500"))
WORKERS = os.environ.get("BENCH_WATCH_WORKERS", "2")
RAMP = int(os.environ.get("BENCH_WATCH_RAMP", "50"))  # watchers opened per half second
PROBES = int(os.environ.get("BENCH_WATCH_PROBES", "200"))
_EMAIL, _PASSWORD = "bench-watch@example.com", "bench-watch-password-77a1"  # nosec B105 - a throw-away instance
ENV = "/api/v1/namespaces/bench/environments/production/"


def _env(work: Path) -> dict[str, str]:
    env = server_env(
        work,
        THROTTLE_USER_RATE="100000000/min",
        JWT_ACCESS_TTL="3600",
        CACHE_KEY_PREFIX=f"bench-watch-{os.getpid()}",
    )
    if os.environ.get("BENCH_DATABASE_URL"):
        env["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
    if os.environ.get("BENCH_REDIS_URL"):
        env["REDIS_URL"] = os.environ["BENCH_REDIS_URL"]
    return env


def _prepare(env: dict[str, str]) -> None:
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=TIMEOUT)
    subprocess.run([*manage, "createcachetable"], cwd=ROOT, env=env, check=True, timeout=TIMEOUT)
    admin = {**env, "DJANGO_SUPERUSER_EMAIL": _EMAIL, "DJANGO_SUPERUSER_PASSWORD": _PASSWORD}
    completed = subprocess.run(
        [*manage, "createsuperuser", "--noinput"], cwd=ROOT, env=admin, timeout=TIMEOUT, capture_output=True
    )
    if completed.returncode and b"already taken" not in completed.stderr:  # a reused BENCH_DATABASE_URL
        raise RuntimeError(completed.stderr.decode()[-500:])


async def _json(session, method: str, url: str, **kwargs) -> tuple[int, Any, dict]:
    async with session.request(method, url, **kwargs) as response:
        body = await response.read()
        return response.status, response.headers.copy(), json.loads(body) if body else {}


async def _seed(session, base: str, bearer: dict[str, str]) -> str:
    """The benchmark environment with one entry; returns a read-only API key of it."""
    steps = [
        ("/api/v1/namespaces/", {"slug": "bench"}),
        ("/api/v1/namespaces/bench/environments/", {"slug": "production"}),
        (f"{ENV}entries/", {"key": "counter", "value_type": "integer", "value": 0}),
    ]
    for path, body in steps:
        status, _, answer = await _json(session, "POST", f"{base}{path}", json=body, headers=bearer)
        if status not in (201, 409):  # 409: a reused BENCH_DATABASE_URL has it already
            raise RuntimeError(f"POST {path}: {status} {answer}")
    status, _, body = await _json(session, "POST", f"{base}{ENV}api-keys/", json={"name": "bench"}, headers=bearer)
    assert status == 201, body
    return body["key"]


async def _p99(session, url: str, headers: dict[str, str]) -> float:
    """p99 of PROBES sequential GETs, in ms."""
    timings = []
    for _ in range(PROBES):
        started = time.perf_counter()
        async with session.get(url, headers=headers) as response:
            await response.read()
            assert response.status == 200, response.status
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.quantiles(timings, n=100)[98]


def _worker_rss(master: subprocess.Popen) -> int:
    import psutil

    return sum(child.memory_info().rss for child in psutil.Process(master.pid).children())


async def _measure(watch: str, write: str, master: subprocess.Popen) -> dict[str, float]:
    import aiohttp

    timeout = aiohttp.ClientTimeout(total=TIMEOUT)
    # Watchers: one connection each. Everything else: a fresh connection per request (force_close), the same
    # for the idle and the loaded probes, and never a kept-alive one the server has closed meanwhile.
    watchers = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), timeout=timeout)
    probes = aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True), timeout=timeout)
    async with watchers, probes as session:
        status, _, tokens = await _json(
            session, "POST", f"{watch}/api/v1/auth/token/", json={"email": _EMAIL, "password": _PASSWORD}
        )
        if status != 200:
            raise RuntimeError(f"login: {status} {tokens}")
        bearer = {"Authorization": f"Bearer {tokens['access']}"}
        machine = {"Authorization": f"Api-Key {await _seed(session, write, bearer)}"}
        status, headers, body = await _json(session, "GET", f"{watch}{ENV}resolved/", headers=machine)
        if status != 200:
            raise RuntimeError(f"resolved: {status} {body}")
        etag = headers["ETag"]
        me = f"{watch}/api/v1/users/me/"
        await _p99(session, me, bearer)  # warm-up
        idle_p99 = await _p99(session, me, bearer)
        rss_before = _worker_rss(master)

        arrivals: list[float] = []
        statuses: list[int] = []
        errors: list[str] = []

        async def watcher() -> None:
            held = {**machine, "If-None-Match": etag, "Prefer": "wait=30"}
            try:
                async with watchers.get(f"{watch}{ENV}resolved/", headers=held) as response:
                    await response.read()
                    status = response.status
            except aiohttp.ClientError as exc:  # counted as not reached, and named in the note
                errors.append(type(exc).__name__)
                status = -1
            arrivals.append(time.perf_counter())
            statuses.append(status)

        # One key serves every watcher here: refresh its cached validity (and last_used_at) first, or all
        # of them would miss that cache at once and queue for the database pool together.
        await _json(session, "GET", f"{watch}{ENV}resolved/", headers=machine)
        tasks = []
        for start in range(0, WATCHERS, RAMP):  # clients arrive in waves, not in one millisecond
            tasks += [asyncio.create_task(watcher()) for _ in range(min(RAMP, WATCHERS - start))]
            await asyncio.sleep(0.5)
        await asyncio.sleep(max(3.0, WATCHERS / 200))  # every watch sent and held
        rss_held = _worker_rss(master)
        loaded_p99 = await _p99(session, me, bearer)

        _, headers, entry = await _json(session, "GET", f"{write}{ENV}entries/counter/", headers=bearer)
        sent = time.perf_counter()
        status, _, _ = await _json(
            session,
            "PATCH",
            f"{write}{ENV}entries/counter/",
            json={"value": entry["value"] + 1},
            headers={**bearer, "If-Match": headers["ETag"]},
        )
        assert status == 200, status
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=60)
    before = collections.Counter(code for arrival, code in zip(arrivals, statuses, strict=True) if arrival < sent)
    after = sorted((arrival - sent, code) for arrival, code in zip(arrivals, statuses, strict=True) if arrival >= sent)
    latencies = [latency for latency, _ in after] or [float("nan")]
    within = sum(1 for latency, code in after if code == 200 and latency <= 1)
    return {
        "reach": 100 * within / WATCHERS,
        "early": ", ".join(f"{count} x {code}" for code, count in sorted(before.items())) or "none",
        "p50": statistics.median(latencies) * 1000,
        "max": latencies[-1] * 1000,
        "idle_p99": idle_p99,
        "loaded_p99": loaded_p99,
        "per_watcher_kib": max(0, rss_held - rss_before) / WATCHERS / 1024,
        "errors": ", ".join(f"{errors.count(name)} {name}" for name in sorted(set(errors))) or "none",
    }


def run() -> list[Result]:
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        return [Result("watch: aiohttp not installed", 0, "-", note="skipped: pip install -r requirements-dev.txt")]
    work = Path(tempfile.mkdtemp(prefix="bench-watch-"))
    servers: list[subprocess.Popen] = []
    try:
        env = _env(work)
        _prepare(env)
        watch_port, write_port = free_port(), free_port()
        logs = Path(os.environ.get("BENCH_WATCH_LOG_DIR", str(work)))
        for name, port, workers in (("watch", watch_port, WORKERS), ("write", write_port, "1")):
            server_env_ = {**env, "WEB_CONCURRENCY": workers, "PROMETHEUS_MULTIPROC_DIR": str(work / f"prom-{name}")}
            log = str(logs / f"{name}.log")
            servers.append(start_gunicorn(server_env_, port, "--error-logfile", log, timeout=TIMEOUT))
        try:
            figures = asyncio.run(
                _measure(f"http://127.0.0.1:{watch_port}", f"http://127.0.0.1:{write_port}", servers[0])
            )
        except Exception as exc:
            raise RuntimeError(f"{exc!r}; watch server log: {(logs / 'watch.log').read_text()[-600:]}") from exc
    finally:
        for process in servers:
            stop(process)
        shutil.rmtree(work, ignore_errors=True)
    backend = "PostgreSQL + Redis pub/sub" if "REDIS_URL" in env else "SQLite + database cache poll"
    setup = f"{WATCHERS} watchers, {WORKERS} gevent worker(s), {backend}"
    return [
        Result(
            "watch: watchers woken within 1 s of a write through another instance",
            figures["reach"],
            "%",
            target=">= 99 %",
            note=f"{setup}; latency p50 {figures['p50']:.0f} ms, max {figures['max']:.0f} ms; "
            f"answered before the write: {figures['early']}; client errors: {figures['errors']}",
        ),
        Result(
            "watch: GET /users/me/ p99 while the watchers are held vs idle",
            figures["loaded_p99"],
            "ms",
            reference=figures["idle_p99"],
            target="< 2",
            note=f"{PROBES} sequential requests each, same instance",
        ),
        Result(
            "watch: worker memory per held watcher",
            figures["per_watcher_kib"],
            "KiB",
            note="RSS of the watch server's workers, held minus idle, / watchers",
        ),
    ]
