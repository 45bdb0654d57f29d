"""The one gunicorn launcher, for the tests, the benchmarks and the load runs (no Django import: the
benchmarks and load runs drive the server from outside it).

`start_gunicorn` runs gunicorn with the project's config/gunicorn.conf.py (what `make run` and the
Procfile's `web:` serve with) unless `config` names another, on a loopback port, and returns once
`/health` (or `health_path`) answers. The server's output goes to a file, not a pipe: a pipe nobody
reads fills up during a long run and stalls the server. `stop` ends it by its PID.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[2]
PROJECT_CONFIG = "config/gunicorn.conf.py"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(
    env: dict[str, str],
    port: int,
    *args: str,
    cwd: Path = ROOT,
    config: str | None = PROJECT_CONFIG,
    log: IO[bytes] | None = None,
    health_path: str = "/health",
    timeout: float = 60,
) -> subprocess.Popen:
    """Start gunicorn on 127.0.0.1:`port` with `args` appended (workers, the application...)."""
    command = [sys.executable, "-m", "gunicorn", *(["-c", config] if config else []), "--bind", f"127.0.0.1:{port}"]
    own_log = log is None
    output = tempfile.TemporaryFile() if own_log else log  # noqa: SIM115 - the child keeps its own descriptor
    process = subprocess.Popen([*command, *args], cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        _wait_until_up(f"http://127.0.0.1:{port}{health_path}", process, timeout)
    except RuntimeError as exc:
        stop(process)
        output.seek(0)
        raise RuntimeError(f"{exc}: {output.read().decode(errors='replace')[-2000:]}") from None
    finally:
        if own_log:
            output.close()
    return process


def _wait_until_up(url: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited")
        try:
            with urllib.request.urlopen(url, timeout=1):  # nosec B310 - our loopback server
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer {url} within {timeout:.0f} s")


def stop(process: subprocess.Popen, timeout: float = 30) -> None:
    """Terminate a server we started (by its PID), killing it if it does not exit in time."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
