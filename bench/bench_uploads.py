"""tus upload throughput against a plain multipart upload of the same file, under one gunicorn worker.

A 1 GiB file (BENCH_UPLOAD_MIB to change) is uploaded both ways BENCH_UPLOAD_ROUNDS times (default 3), the
order alternating from round to round, to a throw-away project instance (SQLite and media in a temporary
directory): with tus (POST, then PATCHes of 8 MiB on one keep-alive connection, the last one turning the
upload into a file) and as `POST /api/v1/files/` multipart/form-data. Then the same against an S3 storage:
moto's server on loopback (BENCH_UPLOAD_S3_MIB, default the same size; the virtualenv's moto_server, else
one on PATH; skipped without), where tus keeps its bytes as an S3 multipart upload.
Reported: tus throughput as a ratio of the multipart one from the median times, local and S3, with each
round's ratio (median and min-max: the machine is shared) and the load average, and the worker's peak RSS
during each (VmHWM, reset between the phases). Everything is deleted afterwards; each request is bounded by
a timeout.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench import Result
from bench.support import free_port, server_env, start_gunicorn, stop

ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024
CHUNK = 8 * MIB
BLOCK = MIB
TIMEOUT = 900  # seconds, per request and for start-up (moto, in memory, takes minutes for 1 GiB)


def _env(var_dir: Path, **extra: str) -> dict[str, str]:
    return server_env(
        var_dir,
        GUNICORN_TIMEOUT=str(TIMEOUT),
        WEB_CONCURRENCY="1",
        PROMETHEUS_MULTIPROC_DIR=str(var_dir / "prometheus"),
        FILES_USER_QUOTA=str(64 * 1024**3),
        THROTTLE_USER_RATE="100000/min",
        **extra,
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


@dataclass
class _Measured:
    tus_seconds: list[float]
    multipart_seconds: list[float]
    tus_rss: float
    multipart_rss: float
    load_before: float
    load_after: float

    def ratios(self) -> list[float]:
        """Each round's tus throughput as a share of the multipart one."""
        return [multipart / tus for tus, multipart in zip(self.tus_seconds, self.multipart_seconds, strict=True)]


def _multipart_once(measured: _Measured, worker: int, port: int, token: str, source: Path, size: int) -> None:
    _reset_peak(worker)
    measured.multipart_seconds.append(_timed(_multipart_upload, port, token, source, size))
    measured.multipart_rss = max(measured.multipart_rss, _peak_rss_mib(worker))


def _tus_once(measured: _Measured, worker: int, port: int, token: str, source: Path, size: int) -> None:
    _reset_peak(worker)
    measured.tus_seconds.append(_timed(_tus_upload, port, token, source, size))
    measured.tus_rss = max(measured.tus_rss, _peak_rss_mib(worker))


def _measure(env: dict[str, str], source: Path, size: int) -> _Measured:
    _prepare(env)
    port = free_port()
    process = _start(env, port)
    try:
        token = _token(port)
        worker = _worker_pid(process.pid)
        measured = _Measured([], [], 0.0, 0.0, os.getloadavg()[0], 0.0)
        for round_ in range(max(3, int(os.environ.get("BENCH_UPLOAD_ROUNDS", "3")))):
            ways = [_multipart_once, _tus_once]
            for way in ways if round_ % 2 == 0 else reversed(ways):  # alternating: neither always goes first
                way(measured, worker, port, token, source, size)
        measured.load_after = os.getloadavg()[0]
    finally:
        stop(process)
    return measured


def _moto(work: Path) -> tuple[subprocess.Popen, str] | None:
    """moto's S3 server on a free loopback port with a bucket, or None when moto_server is not installed."""
    binary = Path(sys.executable).parent / "moto_server"  # the virtualenv's, the version the tests use
    if not binary.exists():
        found = shutil.which("moto_server")
        if found is None:
            return None
        binary = Path(found)
    port = free_port()
    log = open(work / "moto.log", "wb")  # noqa: SIM115 - the child keeps its own descriptor
    process = subprocess.Popen([binary, "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("PUT", "/bench-uploads")  # creates the bucket (anonymous requests are fine for moto)
            conn.getresponse().read()
            return process, endpoint
        except OSError:
            if time.monotonic() > deadline:
                stop(process)
                raise
            time.sleep(0.2)


def _results(where: str, size: int, measured: _Measured, target: str, note: str) -> list[Result]:
    mib = size / MIB
    tus, multipart = statistics.median(measured.tus_seconds), statistics.median(measured.multipart_seconds)
    ratios = measured.ratios()
    return [
        Result(
            name=f"tus upload {mib:.0f} MiB in 8 MiB PATCHes vs multipart POST /files/ ({where})",
            value=mib / tus,
            unit="MiB/s",
            reference=mib / multipart,
            target=target,
            note=f"median times of {len(ratios)} alternating rounds: tus {tus:.1f} s "
            f"({_seconds(measured.tus_seconds)}), multipart {multipart:.1f} s "
            f"({_seconds(measured.multipart_seconds)}); per-round ratio median "
            f"{statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f}); load average "
            f"{measured.load_before:.1f} -> {measured.load_after:.1f} on {os.cpu_count()} cores; one worker; {note}",
        ),
        Result(
            name=f"tus upload ({where}): worker peak RSS",
            value=measured.tus_rss,
            unit="MiB",
            reference=measured.multipart_rss,
            target="< 200 MiB, flat in file size",
            note="VmHWM of the worker during each upload (reference: the multipart upload)",
        ),
    ]


def run() -> list[Result]:
    size = int(os.environ.get("BENCH_UPLOAD_MIB", "1024")) * MIB
    s3_size = int(os.environ.get("BENCH_UPLOAD_S3_MIB", str(size // MIB))) * MIB
    work = Path(tempfile.mkdtemp(prefix="bench-uploads-"))
    moto = None
    try:
        source = work / "big.bin"
        _make_file(source, max(size, s3_size))
        results = _results(
            "local disk", size, _measure(_env(work / "local"), source, size), ">= 0.9", "tus syncs each PATCH"
        )
        moto = _moto(work)
        if moto is None:
            return [*results, Result("tus upload (S3)", 0, "-", note="skipped: moto_server is not installed")]
        s3_env = _env(
            work / "s3",
            STORAGE_URL=f"s3://bench-uploads?endpoint_url={moto[1]}&region_name=us-east-1&access_key=bench&secret_key=bench",
        )
        measured = _measure(s3_env, source, s3_size)
        return [
            *results,
            *_results("moto S3", s3_size, measured, ">= 0.9", "tus parts of 8 MiB, multipart via django-storages"),
        ]
    finally:
        if moto is not None:
            stop(moto[0])
        shutil.rmtree(work, ignore_errors=True)
