"""`make load`: the app under gunicorn on PostgreSQL + Redis, seeded, then locust headless for a bounded time.

Environment: LOAD_USERS (100), LOAD_SPAWN_RATE (5/s), LOAD_TIME (3m), LOAD_WORKERS (gunicorn workers,
default 2 x cores + 1). Writes reports/load/{stats CSVs, report.html, summary.md} and prints the summary.

Every virtual user comes from 127.0.0.1, so the per-IP limits (anonymous and login throttles, per-IP
lockout) are raised for the run: at their defaults a hundred users behind one address are one client
and most logins would be refused by design. Per-user and per-key behaviour is left as configured.
"""

from __future__ import annotations

import csv
import multiprocessing
import os
import platform
import subprocess
import sys
from pathlib import Path

from loadtests.seed import seed
from loadtests.stack import ROOT, Stack

REPORTS = ROOT / "reports" / "load"
RAISED_LIMITS = {
    "THROTTLE_ANON_RATE": "100000/min",
    "THROTTLE_AUTH_RATE": "100000/min",
    "LOCKOUT_IP_FAILURES": "100000",
}


def _locust(stack: Stack, seed_path: Path) -> int:
    users = os.environ.get("LOAD_USERS", "100")
    command = [
        str(Path(sys.executable).parent / "locust"),
        "-f",
        str(ROOT / "loadtests" / "locustfile.py"),
        "--headless",
        "--host",
        stack.base_url,
        "--users",
        users,
        "--spawn-rate",
        os.environ.get("LOAD_SPAWN_RATE", "5"),
        "--run-time",
        os.environ.get("LOAD_TIME", "3m"),
        "--stop-timeout",
        "10",
        "--csv",
        str(REPORTS / "load"),
        "--html",
        str(REPORTS / "report.html"),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    env = {**os.environ, "LOAD_SEED": str(seed_path)}
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode  # noqa: S603 - fixed argv


def _machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{multiprocessing.cpu_count()} cores, {memory:.0f} GiB RAM, {platform.system()} {platform.release()}"


def summarize(workers: int) -> str:
    """A short Markdown summary from locust's CSVs: totals, per-request percentiles, failures by kind."""
    with open(REPORTS / "load_stats.csv") as handle:
        rows = list(csv.DictReader(handle))
    with open(REPORTS / "load_failures.csv") as handle:
        failures = list(csv.DictReader(handle))
    total = next(row for row in rows if row["Name"] == "Aggregated")
    lines = [
        f"Machine: {_machine()}; gunicorn {workers} sync workers; locust on the same machine.",
        f"Users: {os.environ.get('LOAD_USERS', '100')}, run time {os.environ.get('LOAD_TIME', '3m')}.",
        "",
        "| request | count | failures | req/s | p50 ms | p95 ms | p99 ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in [*(row for row in rows if row["Name"] != "Aggregated"), total]:
        name = row["Name"] if row["Name"] == "Aggregated" else f"{row['Type']} {row['Name']}"
        lines.append(
            f"| {name} | {row['Request Count']} | {row['Failure Count']} | {float(row['Requests/s']):.1f} "
            f"| {row['50%']} | {row['95%']} | {row['99%']} |"
        )
    kinds: dict[str, int] = {}
    for failure in failures:
        kinds[failure["Error"]] = kinds.get(failure["Error"], 0) + int(failure["Occurrences"])
    lines += ["", "Failures by kind: " + (", ".join(f"{kind}: {count}" for kind, count in kinds.items()) or "none")]
    return "\n".join(lines) + "\n"


def main() -> int:
    REPORTS.mkdir(parents=True, exist_ok=True)
    workers = int(os.environ.get("LOAD_WORKERS", multiprocessing.cpu_count() * 2 + 1))
    with Stack("load", workers=workers, **RAISED_LIMITS) as stack:
        seed_path = stack.var_dir / "seed.json"
        seed(stack, seed_path)
        print(f"seeded; running locust against {stack.base_url}", flush=True)
        status = _locust(stack, seed_path)
    summary = summarize(workers)
    (REPORTS / "summary.md").write_text(summary)
    print(summary)
    return status


if __name__ == "__main__":
    sys.exit(main())
