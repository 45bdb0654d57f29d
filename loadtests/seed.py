"""Seed data for the load run, through the public API where one exists (users straight into the database:
registration would need the e-mail round trip). Writes the seed as JSON for the locustfile."""

from __future__ import annotations

import json
import os
from pathlib import Path

import requests

from loadtests.stack import Stack

PASSWORD = "load-" + "Passw0rd-for-locust"
ROLES = {"viewer": 20, "editor": 30, "auditor": 4}
NAMESPACE, ENVIRONMENT = "load", "production"
READ_KEYS = 40
FILE_SIZE = 256 * 1024

# Runs inside `manage.py shell` (Django set up, same settings as the server).
_CREATE_USERS = """
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
User = get_user_model()
for role, count in {roles!r}.items():
    group = Group.objects.get(name=role)
    for index in range(count):
        user = User.objects.create_user(f"load-{{role}}-{{index}}@example.com", {password!r}, role=role,
                                        email_verified=True)
        user.groups.set([group])  # a role is a group with model permissions
print("ok")
"""


def email(role: str, index: int) -> str:
    return f"load-{role}-{index}@example.com"


class Seeder:
    def __init__(self, stack: Stack):
        self.stack = stack
        self.http = requests.Session()
        self.admin = {"Authorization": f"Bearer {stack.token()}"}

    def api(self, method: str, path: str, expect: int, **kwargs) -> dict:
        headers = {**self.admin, **kwargs.pop("headers", {})}
        url = f"{self.stack.base_url}/api/v1{path}"
        response = self.http.request(method, url, headers=headers, timeout=60, **kwargs)
        if response.status_code != expect:
            raise RuntimeError(f"seed: {method} {path} -> {response.status_code} {response.text[:500]}")
        return response.json() if response.content else {}

    def users(self) -> None:
        self.stack.manage("shell", "--no-imports", "-c", _CREATE_USERS.format(roles=ROLES, password=PASSWORD))

    def configuration(self) -> dict:
        self.api("POST", "/namespaces/", 201, json={"slug": NAMESPACE, "description": "load test"})
        environment = {"slug": ENVIRONMENT}
        self.api("POST", f"/namespaces/{NAMESPACE}/environments/", 201, json=environment)
        entries = f"/namespaces/{NAMESPACE}/environments/{ENVIRONMENT}/entries/"
        for index in range(READ_KEYS):
            value, value_type = [(f"value-{index}", "string"), (index, "integer"), ({"n": index}, "json")][index % 3]
            entry = {"key": f"read.key-{index:03}", "value": value, "value_type": value_type}
            self.api("POST", entries, 201, json=entry)
        for index in range(ROLES["editor"]):
            self.api("POST", entries, 201, json={"key": f"edit.key-{index:03}", "value": 0, "value_type": "integer"})
        keys = [
            self.api(
                "POST",
                f"/namespaces/{NAMESPACE}/environments/{ENVIRONMENT}/api-keys/",
                201,
                json={"name": f"load-client-{index}"},
            )["key"]
            for index in range(5)
        ]
        return {
            "namespace": NAMESPACE,
            "environment": ENVIRONMENT,
            "api_keys": keys,
            "read_keys": [f"read.key-{index:03}" for index in range(READ_KEYS)],
            "edit_keys": [f"edit.key-{index:03}" for index in range(ROLES["editor"])],
        }

    def files(self, role: str, count: int) -> dict[str, str]:
        """Each user gets a file of its own (files are private): {email: file id}."""
        content = os.urandom(FILE_SIZE)
        owned = {}
        for index in range(count):
            address = email(role, index)
            token = self.stack.token(address, PASSWORD)
            response = self.http.post(
                f"{self.stack.base_url}/api/v1/files/",
                headers={"Authorization": f"Bearer {token}"},
                files={"file": (f"{role}-{index}.bin", content, "application/octet-stream")},
                timeout=60,
            )
            if response.status_code != 201:
                raise RuntimeError(f"seed: upload -> {response.status_code} {response.text[:300]}")
            owned[address] = response.json()["id"]
        return owned


def seed(stack: Stack, path: Path) -> dict:
    seeder = Seeder(stack)
    seeder.users()
    data = {
        "password": PASSWORD,
        "users": {role: [email(role, index) for index in range(count)] for role, count in ROLES.items()},
        "config": seeder.configuration(),
        "files": seeder.files("viewer", ROLES["viewer"]),
        "file_size": FILE_SIZE,
    }
    path.write_text(json.dumps(data, indent=2))
    return data
