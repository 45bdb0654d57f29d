"""/ready against a real outage: gunicorn whose DATABASE_URL goes through a proxy the test cuts and restores."""

import json
import time
import urllib.error
import urllib.request

import pytest
from django.conf import settings
from django.db import connection

from tests.support.servers import database_url, gunicorn_server
from tests.support.tcp_proxy import TCPProxy


def _ready(base_url: str) -> tuple[int, dict, float]:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(f"{base_url}/ready", timeout=10) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    return status, json.loads(body), time.monotonic() - started


def _wait_for(base_url: str, status: int, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        got, body, _ = _ready(base_url)
        if got == status or time.monotonic() > deadline:
            assert got == status, body
            return body
        time.sleep(0.2)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_ready__database_port_closed_then_back__503_naming_it_then_200_without_restart():
    if connection.vendor != "postgresql":
        pytest.skip("the outage is a closed TCP port: needs DATABASE_URL=postgres://")
    db = connection.settings_dict
    proxy = TCPProxy(db.get("HOST") or "127.0.0.1", int(db.get("PORT") or 5432))
    proxy.open()
    proxied_url = database_url().replace(f":{db.get('PORT') or 5432}/", f":{proxy.port}/")
    try:
        with gunicorn_server(workers=1, DATABASE_URL=proxied_url) as base_url:
            assert _ready(base_url)[0] == 200

            proxy.close()
            status, body, elapsed = _ready(base_url)
            assert status == 503, body
            assert body["status"] == "fail"
            assert body["checks"]["database"]["status"] == "fail"
            if settings.REDIS_URL:
                assert body["checks"]["cache"]["status"] == "ok"
            assert elapsed < 3, f"/ready took {elapsed:.1f}s while the database was down"
            liveness = urllib.request.urlopen(f"{base_url}/health", timeout=5)
            assert liveness.status == 200  # liveness never depends on the database

            proxy.open()
            body = _wait_for(base_url, 200)
            assert body["checks"]["database"]["status"] == "ok"
    finally:
        proxy.close()
