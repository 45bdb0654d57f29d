"""Fault drills: real gunicorn (tests.support.servers) with a fault injected between it and a dependency.

Each drill runs the server as another process on the test database, so tests use committed data
(`transaction=True`) and talk HTTP. Users get an Argon2 password hash, which the server's production
hasher list can verify (the test settings hash with MD5 for speed).
"""

from __future__ import annotations

import os
import signal
import time
from urllib.parse import urlsplit

import psutil
import pytest
import requests

from accounts.roles import Role
from tests.accounts.factories import UserFactory
from tests.support.auth import server_password


@pytest.fixture
def server_user(db):
    # What `createsuperuser --noinput` makes: every permission, whatever the apps' role grants are.
    user = UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True)
    server_password(user)
    return user


def gunicorn_worker_pids(base_url: str) -> list[int]:
    """The worker processes of the gunicorn (started by this test process) that listens on base_url's port."""
    port = urlsplit(base_url).port
    for process in psutil.Process().children(recursive=True):
        try:
            cmdline = process.cmdline()
        except psutil.Error:
            continue
        if "gunicorn" in " ".join(cmdline) and f"127.0.0.1:{port}" in cmdline:  # the master; workers fork
            return [child.pid for child in process.children()]
    raise AssertionError(f"no gunicorn master for {base_url}")


def kill_workers(base_url: str) -> list[int]:
    pids = gunicorn_worker_pids(base_url)
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    return pids


def wait_until(predicate, timeout: float, interval: float = 0.2) -> float:
    """Poll until predicate() is true; returns the seconds it took, fails after timeout."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if predicate():
                return time.monotonic() - started
        except requests.RequestException:
            pass
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def create_entry(base_url: str, headers: dict, *, namespace: str = "drill", key: str = "counter") -> str:
    """A namespace, an environment and one integer entry through the API; returns the entry's URL."""
    api = f"{base_url}/api/v1"
    for url, body in (
        (f"{api}/namespaces/", {"slug": namespace, "description": "fault drill"}),
        (f"{api}/namespaces/{namespace}/environments/", {"slug": "production"}),
        (
            f"{api}/namespaces/{namespace}/environments/production/entries/",
            {"key": key, "value": 0, "value_type": "integer"},
        ),
    ):
        response = requests.post(url, json=body, headers=headers, timeout=30)
        assert response.status_code == 201, f"{url}: {response.status_code} {response.text}"
    return f"{api}/namespaces/{namespace}/environments/production/entries/{key}/"


def assert_versions_consistent(entry_url: str, headers: dict) -> dict:
    """No half-written version: the entry's version is the newest of an unbroken 1..n history whose
    newest value is the entry's value."""
    entry = requests.get(entry_url, headers=headers, timeout=30).json()
    versions, url = [], f"{entry_url}versions/"
    while url:
        page = requests.get(url, headers=headers, timeout=30).json()
        versions += page["results"]
        url = page.get("next")
    numbers = sorted(version["version"] for version in versions)
    assert numbers == list(range(1, entry["version"] + 1)), f"history {numbers} vs entry version {entry['version']}"
    newest = max(versions, key=lambda version: version["version"])
    assert newest["value"] == entry["value"]
    return entry
