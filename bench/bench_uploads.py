"""tus upload throughput against a plain multipart upload of the same file, under one gunicorn worker.

A 1 GiB file (BENCH_UPLOAD_MIB to change) is uploaded both ways, interleaved, BENCH_UPLOAD_ROUNDS times
(default 2; the best time of each way counts, the machine being shared) to a throw-away project
instance (SQLite and media in a temporary directory): with tus (POST, then PATCHes of 8 MiB on one
keep-alive connection, the last one turning the upload into a file) and as `POST /api/v1/files/`
multipart/form-data. Reported: tus throughput as a ratio of the multipart one, and the worker's peak RSS
during each (VmHWM, reset between the phases). Everything is deleted afterwards; each request is bounded
by a timeout.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import Result
from bench.support import free_port, server_env, start_gunicorn, stop

ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024
CHUNK = 8 * MIB
BLOCK = MIB
TIMEOUT = 300  # seconds, per request and for start-up


def _env(var_dir: Path) -> dict[str, str]:
    return server_env(
        var_dir,
        GUNICORN_TIMEOUT=str(TIMEOUT),
        WEB_CONCURRENCY="1",
        PROMETHEUS_MULTIPROC_DIR=str(var_dir / "prometheus"),
        FILES_USER_QUOTA=str(64 * 1024**3),
        THROTTLE_USER_RATE="100000/min",
    )


_EMAIL, _PASSWORD = "bench@example.com", "bench-password-8c2f1e"  # nosec B105 - a throw-away instance


def _prepare(env: dict[str, str]) -> None:
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=TIMEOUT)
    admin = {**env, "DJANGO_SUPERUSER_EMAIL": _EMAIL, "DJANGO_SUPERUSER_PASSWORD": _PASSWORD}
    subprocess.run(
        [*manage, "createsuperuser", "--noinput"], cwd=ROOT, env=admin, check=True, timeout=TIMEOUT, capture_output=True
    )


def _token(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    body = json.dumps({"email": _EMAIL, "password": _PASSWORD})
    conn.request("POST", "/api/v1/auth/token/", body=body, headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    data = response.read()
    _expect(response, 200, data)
    return json.loads(data)["access"]


def _start(env: dict[str, str], port: int) -> subprocess.Popen:
    return start_gunicorn(env, port, timeout=TIMEOUT)


def _worker_pid(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return int(children[0])


def _reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM (Linux >= 4.0)


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def _make_file(path: Path, size: int) -> None:
    block = os.urandom(BLOCK)
    with open(path, "wb") as out:
        for _ in range(size // BLOCK):
            out.write(block)


def _send_file(conn: http.client.HTTPConnection, source, length: int) -> None:
    sent = 0
    while sent < length:
        data = source.read(min(BLOCK, length - sent))
        conn.send(data)
        sent += len(data)


def _tus_upload(port: int, token: str, path: Path, size: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    auth = {"Authorization": f"Bearer {token}", "Tus-Resumable": "1.0.0"}
    conn.request("POST", "/api/v1/uploads/", headers={**auth, "Upload-Length": str(size), "Content-Length": "0"})
    created = conn.getresponse()
    _expect(created, 201, created.read())
    location = created.getheader("Location").split("//", 1)[1].split("/", 1)[1]
    offset = 0
    with open(path, "rb") as source:
        while offset < size:
            length = min(CHUNK, size - offset)
            conn.putrequest("PATCH", f"/{location}")
            for name, value in {
                **auth,
                "Content-Type": "application/offset+octet-stream",
                "Upload-Offset": str(offset),
                "Content-Length": str(length),
            }.items():
                conn.putheader(name, value)
            conn.endheaders()
            _send_file(conn, source, length)
            response = conn.getresponse()
            _expect(response, 204, response.read())
            offset = int(response.getheader("Upload-Offset"))
    if not response.getheader("Upload-File-Id"):
        raise RuntimeError("the last PATCH did not turn the upload into a file")
    conn.close()


def _multipart_upload(port: int, token: str, path: Path, size: int) -> None:
    boundary = "benchboundary7MA4YWxkTrZu0gW"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    conn.putrequest("POST", "/api/v1/files/")
    conn.putheader("Authorization", f"Bearer {token}")
    conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    conn.putheader("Content-Length", str(len(head) + size + len(tail)))
    conn.endheaders()
    conn.send(head)
    with open(path, "rb") as source:
        _send_file(conn, source, size)
    conn.send(tail)
    response = conn.getresponse()
    _expect(response, 201, response.read())
    conn.close()


def _expect(response: http.client.HTTPResponse, status: int, body: bytes) -> None:
    if response.status != status:
        raise RuntimeError(f"expected {status}, got {response.status}: {body[:300]!r}")


def _timed(function, *args) -> float:
    started = time.perf_counter()
    function(*args)
    return time.perf_counter() - started


def _seconds(values: list[float]) -> str:
    return "/".join(f"{value:.1f}" for value in values)


def run() -> list[Result]:
    size = int(os.environ.get("BENCH_UPLOAD_MIB", "1024")) * MIB
    work = Path(tempfile.mkdtemp(prefix="bench-uploads-"))
    process = None
    try:
        env = _env(work)
        _prepare(env)
        source = work / "big.bin"
        _make_file(source, size)
        port = free_port()
        process = _start(env, port)
        token = _token(port)
        worker = _worker_pid(process.pid)
        multipart_seconds, tus_seconds, multipart_rss, tus_rss = [], [], 0.0, 0.0
        for _ in range(int(os.environ.get("BENCH_UPLOAD_ROUNDS", "2"))):  # interleaved: the best of each
            _reset_peak(worker)
            multipart_seconds.append(_timed(_multipart_upload, port, token, source, size))
            multipart_rss = max(multipart_rss, _peak_rss_mib(worker))
            _reset_peak(worker)
            tus_seconds.append(_timed(_tus_upload, port, token, source, size))
            tus_rss = max(tus_rss, _peak_rss_mib(worker))
    finally:
        if process is not None:
            stop(process)
        shutil.rmtree(work, ignore_errors=True)
    mib, best_tus, best_multipart = size / MIB, min(tus_seconds), min(multipart_seconds)
    return [
        Result(
            name=f"tus upload {mib:.0f} MiB in 8 MiB PATCHes vs multipart POST /files/",
            value=mib / best_tus,
            unit="MiB/s",
            reference=mib / best_multipart,
            target=">= 0.7",
            note=f"best of {len(tus_seconds)}: tus {best_tus:.1f} s (runs {_seconds(tus_seconds)}), multipart "
            f"{best_multipart:.1f} s (runs {_seconds(multipart_seconds)}); one sync worker; tus syncs each PATCH",
        ),
        Result(
            name="tus upload: worker peak RSS",
            value=tus_rss,
            unit="MiB",
            reference=multipart_rss,
            target="< 200 MiB, flat in file size",
            note="VmHWM of the worker during each upload (reference: the multipart upload)",
        ),
    ]
