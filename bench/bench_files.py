"""Byte serving at sendfile speed: the same 1 GiB file served by nginx, a bare Django view and our endpoint.

One throw-away instance (SQLite and media in a temporary directory) under gunicorn with one sync worker:
(a) nginx with `sendfile on` serving the blob directly, (b) a bare Django view returning
`FileResponse(open(blob))` (seeked to N for the middle case) in the same gunicorn, (c)
`GET /api/v1/files/{id}/content/` with a Bearer token, each for the whole file and for `Range: bytes=N-`
(N = half the size). The page cache is warmed right before every transfer; RUNS rounds of one transfer per
server (curl to /dev/null), interleaved a, b, c; each ratio is the median of the per-round ratios, so a slow
phase of this shared machine hits both sides of a ratio alike. Also the worker's peak
RSS above idle while it receives the 1 GiB multipart upload that creates the file, and while it serves it.
BENCH_FILES_MIB changes the size. Everything is deleted afterwards; every step is bounded by a timeout.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench import Result
from bench.support import free_port, server_env, start_gunicorn, stop

ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024
RUNS = int(os.environ.get("BENCH_FILES_RUNS", "7"))
LATENCY_RUNS = 30
TIMEOUT = 300
_EMAIL, _PASSWORD = "bench-files@example.com", "bench-files-password-5d1c"  # nosec B105 - a throw-away instance

_BARE_URLS = """
from django.http import FileResponse
from django.urls import path

from config.urls import urlpatterns as project


def bare(request, name):
    handle = open(f"{MEDIA}/blobs/{name}", "rb")
    handle.seek(int(request.GET.get("offset", 0)))
    return FileResponse(handle)


urlpatterns = [path("bare/<path:name>", bare), *project]
"""

_NGINX_CONF = """
user root;
worker_processes 1;
daemon off;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log;
events {{ worker_connections 64; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    client_body_temp_path {work}/nginx-body;
    proxy_temp_path {work}/nginx-proxy;
    fastcgi_temp_path {work}/nginx-fastcgi;
    uwsgi_temp_path {work}/nginx-uwsgi;
    scgi_temp_path {work}/nginx-scgi;
    server {{
        listen 127.0.0.1:{port};
        location /blobs/ {{ root {media}; }}
    }}
}}
"""


def _env(work: Path) -> dict[str, str]:
    return server_env(
        work / "var",
        DJANGO_SETTINGS_MODULE="bench_files_settings",
        PYTHONPATH=f"{work}{os.pathsep}{ROOT}",
        MEDIA_ROOT=str(work / "media"),
        GUNICORN_TIMEOUT=str(TIMEOUT),
        WEB_CONCURRENCY="1",
        PROMETHEUS_MULTIPROC_DIR=str(work / "prometheus"),
        FILES_USER_QUOTA=str(64 * 1024**3),
        THROTTLE_USER_RATE="100000/min",
        THROTTLE_ANON_RATE="100000/min",
    )


def _prepare(work: Path, env: dict[str, str]) -> None:
    (work / "media").mkdir()
    (work / "bench_files_settings.py").write_text(
        "from config.settings.base import *  # noqa\nROOT_URLCONF = 'bench_files_urls'\n"
    )
    (work / "bench_files_urls.py").write_text(f"MEDIA = {str(work / 'media')!r}\n" + _BARE_URLS)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=TIMEOUT)
    admin = {**env, "DJANGO_SUPERUSER_EMAIL": _EMAIL, "DJANGO_SUPERUSER_PASSWORD": _PASSWORD}
    subprocess.run(
        [*manage, "createsuperuser", "--noinput"], cwd=ROOT, env=admin, check=True, timeout=TIMEOUT, capture_output=True
    )


def _wait_for(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=1):  # nosec B310 - a loopback URL we built
                return
        except OSError as error:
            if getattr(error, "code", None):  # an HTTP error: the server is up
                return
            time.sleep(0.2)
    raise RuntimeError(f"server behind {url} did not start")


def _curl(*args: str) -> str:
    return subprocess.run(["curl", "-sS", *args], capture_output=True, text=True, check=True, timeout=TIMEOUT).stdout


def _token(base: str) -> str:
    body = json.dumps({"email": _EMAIL, "password": _PASSWORD})
    answer = _curl("-H", "Content-Type: application/json", "-d", body, f"{base}/api/v1/auth/token/")
    return json.loads(answer)["access"]


def _upload(base: str, token: str, source: Path) -> str:
    answer = _curl("-f", "-H", f"Authorization: Bearer {token}", "-F", f"file=@{source}", f"{base}/api/v1/files/")
    return json.loads(answer)["id"]


def _warm(path: Path) -> None:
    with open(path, "rb") as handle:
        while handle.read(8 * MIB):
            pass


def _transfer(url: str, expected: int, *headers: str) -> float:
    """MB/s of one transfer to /dev/null (checks the byte count)."""
    args = [arg for header in headers for arg in ("-H", header)]
    out = _curl("-f", "-o", "/dev/null", "-w", "%{size_download} %{time_total}", *args, url)
    size, seconds = out.split()
    if int(size) != expected:
        raise RuntimeError(f"{url}: got {size} bytes, expected {expected}")
    return expected / float(seconds) / 1e6


def _latency_ms(url: str, *headers: str) -> float:
    """Median time to the last byte of a 1-byte answer: the per-request cost without the transfer."""
    args = [arg for header in headers for arg in ("-H", header)]
    times = [float(_curl("-f", "-o", "/dev/null", "-w", "%{time_total}", *args, url)) for _ in range(LATENCY_RUNS)]
    return statistics.median(times) * 1000


def _worker_pid(master: int) -> int:
    return int(Path(f"/proc/{master}/task/{master}/children").read_text().split()[0])


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field}")


def _peak_above_idle(pid: int, action) -> float:
    """MiB the worker's peak RSS rose above its current RSS while `action` ran."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM to the current RSS (Linux >= 4.0)
    idle = _status_kib(pid, "VmRSS")
    action()
    return (_status_kib(pid, "VmHWM") - idle) / 1024


def _make_source(path: Path, size: int) -> None:
    block = os.urandom(MIB)
    with open(path, "wb") as out:
        for _ in range(size // MIB):
            out.write(block)


def _measure(urls: dict[str, tuple[str, int, tuple[str, ...]]], blob: Path) -> dict[str, list[float]]:
    """RUNS rounds of one transfer per server, interleaved; MB/s samples by server."""
    samples: dict[str, list[float]] = {name: [] for name in urls}
    for _ in range(RUNS):
        for name, (url, expected, headers) in urls.items():
            _warm(blob)
            samples[name].append(_transfer(url, expected, *headers))
    return samples


def _compare(label: str, samples: dict[str, list[float]]) -> list[Result]:
    """Medians of MB/s per server, and the ratios as medians of per-round ratios: on a shared machine a
    slow phase hits the transfers of one round alike, so pairing them cancels most of the noise."""

    def paired(top: str, bottom: str) -> float:
        return statistics.median(c / r for c, r in zip(samples[top], samples[bottom], strict=True))

    median = {name: statistics.median(values) for name, values in samples.items()}
    mbps = ", ".join(f"{name} {median[name]:,.0f}" for name in ("a", "b", "c"))
    note = f"median of {RUNS} per-round ratios; median MB/s {mbps}"
    return [
        Result(f"files: {label}: content (c) / bare FileResponse (b)", paired("c", "b"), "x", 1.0, ">= 0.95", note),
        Result(f"files: {label}: content (c) / nginx sendfile (a)", paired("c", "a"), "x", 1.0, ">= 0.8", note),
        Result(f"files: {label}: bare (b) / nginx (a)", paired("b", "a"), "x", 1.0, "", "reference: 0.74-0.80 here"),
    ]


def run() -> list[Result]:
    if shutil.which("nginx") is None or shutil.which("curl") is None:
        subprocess.run(["apt-get", "install", "-y", "-q", "nginx", "curl"], capture_output=True, timeout=TIMEOUT)
    if shutil.which("nginx") is None or shutil.which("curl") is None:
        raise RuntimeError("bench_files needs nginx and curl (apt-get install -y nginx curl failed)")
    size = int(os.environ.get("BENCH_FILES_MIB", "1024")) * MIB
    work = Path(tempfile.mkdtemp(prefix="bench-files-"))
    processes: list[subprocess.Popen] = []
    try:
        env = _env(work)
        _prepare(work, env)
        source = work / "source.bin"
        _make_source(source, size)
        port, nginx_port = free_port(), free_port()
        gunicorn = start_gunicorn(env, port, timeout=TIMEOUT)
        processes.append(gunicorn)
        base = f"http://127.0.0.1:{port}"
        token = _token(base)
        worker = _worker_pid(gunicorn.pid)
        file_ids: list[str] = []
        upload_rss = _peak_above_idle(worker, lambda: file_ids.append(_upload(base, token, source)))
        source.unlink()
        blob = Path(glob.glob(str(work / "media" / "blobs" / "*" / "*"))[0])
        name = f"{blob.parent.name}/{blob.name}"
        (work / "nginx.conf").write_text(_NGINX_CONF.format(work=work, port=nginx_port, media=work / "media"))
        nginx = subprocess.Popen(
            ["nginx", "-c", str(work / "nginx.conf"), "-p", str(work)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        processes.append(nginx)
        _wait_for(f"http://127.0.0.1:{nginx_port}/blobs/{name}?probe", nginx)

        half = size // 2
        auth = f"Authorization: Bearer {token}"
        content = f"{base}/api/v1/files/{file_ids[0]}/content/"
        nginx_url = f"http://127.0.0.1:{nginx_port}/blobs/{name}"
        full = _measure(
            {"a": (nginx_url, size, ()), "b": (f"{base}/bare/{name}", size, ()), "c": (content, size, (auth,))}, blob
        )
        middle = _measure(
            {
                "a": (nginx_url, size - half, (f"Range: bytes={half}-",)),
                "b": (f"{base}/bare/{name}?offset={half}", size - half, ()),
                "c": (content, size - half, (auth, f"Range: bytes={half}-")),
            },
            blob,
        )
        _warm(blob)
        serve_rss = _peak_above_idle(worker, lambda: _transfer(content, size, auth))
        bare_ms = _latency_ms(f"{base}/bare/{name}?offset={size - 1}")
        content_ms = _latency_ms(content, auth, f"Range: bytes={size - 1}-")
    finally:
        for process in reversed(processes):
            stop(process)
        shutil.rmtree(work, ignore_errors=True)

    gib = f"{size / 1024**3:g} GiB"
    return [
        *_compare(f"{gib} full", full),
        *_compare(f"{gib} Range bytes=N-", middle),
        Result("files: per-request time, content (c) vs bare (b), 1 byte", content_ms, "ms", bare_ms, "", "latency"),
        Result("files: worker peak RSS above idle, serving", serve_rss, "MiB", None, "< 100 MiB", gib),
        Result("files: worker peak RSS above idle, receiving upload", upload_rss, "MiB", None, "< 100 MiB", gib),
    ]
