"""Must-show: a password, a JWT, an API key and a secret configuration value never reach the trail or the logs."""

import logging
import secrets

import pytest
from django.db import connection
from django.test import RequestFactory

from audit.services import record
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Corr3ct-Horse-Battery-Staple!"
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyX2lkIjoiNDIiLCJqdGkiOiJhYmMifQ."
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
API_KEY = f"ck_{secrets.token_urlsafe(32)}"
SECRET_VALUE = "postgres://svc:Sup3rS3cretDbPassw0rd@db.internal/prod"


def _audit_table_text() -> str:
    """Every stored byte of the trail (events, checkpoints, chain head) and of auditlog's own table."""
    chunks = []
    with connection.cursor() as cursor:
        for table in ("audit_auditevent", "audit_auditcheckpoint", "audit_auditchainhead", "auditlog_logentry"):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed table names
            chunks += [repr(row) for row in cursor.fetchall()]
    return "\n".join(chunks)


def _secret_entry_saved_with_plaintext():
    """A secret entry saved with its plaintext value (as if a service forgot to encrypt)."""
    from configurations.models import Entry, Environment, Namespace

    namespace = Namespace.objects.create(slug="billing")
    environment = Environment.objects.create(namespace=namespace, slug="production")
    entry = Entry.objects.create(
        environment=environment,
        key="DATABASE_URL",
        value_type="string",
        value=SECRET_VALUE,
        value_encrypted="gAAAA-ciphertext",
        secret=True,
    )
    entry.value = SECRET_VALUE + "?sslmode=require"
    entry.version = 2
    entry.save()
    return entry


def test_secrets__password_jwt_api_key_secret_value__never_in_audit_table_or_logs(caplog, capfd):
    caplog.set_level(logging.DEBUG)
    request = RequestFactory().post(
        "/api/v1/auth/token/", HTTP_AUTHORIZATION=f"Bearer {JWT}", HTTP_USER_AGENT=f"client Api-Key {API_KEY}"
    )
    user = UserFactory()
    request.user = user
    user.set_password(PASSWORD)
    user.save()
    record(
        "auth.password.changed",
        actor=user,
        target=user,
        request=request,
        changes={"password": [PASSWORD, PASSWORD + "2"]},
        metadata={"new_password": PASSWORD + "2"},
    )
    record(
        "auth.login.succeeded",
        actor=user,
        request=request,
        metadata={"access": JWT, "refresh": JWT, "echo": f"issued {JWT}", "tokens": [JWT]},
    )
    record("apikey.created", actor=user, request=request, metadata={"key": API_KEY, "shown_once": API_KEY})
    entry = _secret_entry_saved_with_plaintext()
    record(
        "config.entry.updated",
        actor=user,
        target=entry,
        request=request,
        changes={"value": ["********", "********"], "secret_value": SECRET_VALUE},
        metadata={"note": f"set {entry.key} (secret)"},
    )

    stored = _audit_table_text()
    logged = caplog.text + "".join(capfd.readouterr())
    assert "model.configurations." not in stored  # one audit path: a save outside a service records nothing
    for secret in (PASSWORD, JWT, API_KEY, SECRET_VALUE, "gAAAA-ciphertext"):
        assert secret not in stored, f"{secret[:12]}... stored in the audit trail"
        assert secret not in logged, f"{secret[:12]}... logged"


def test_secrets__real_actions_through_the_api__never_in_audit_table_or_logs(caplog, capfd):
    from rest_framework.test import APIClient

    from accounts.roles import Role

    admin = UserFactory(role=Role.ADMIN)
    admin.set_password(PASSWORD)
    admin.save()
    caplog.set_level(logging.DEBUG)
    client = APIClient()
    tokens = client.post("/api/v1/auth/token/", {"email": admin.email, "password": PASSWORD}, format="json").json()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    base = "/api/v1/namespaces/"
    assert client.post(base, {"slug": "billing"}, format="json").status_code == 201
    assert client.post(f"{base}billing/environments/", {"slug": "prod"}, format="json").status_code == 201
    entry = {"key": "DATABASE_URL", "value": SECRET_VALUE, "value_type": "string", "secret": True}
    assert client.post(f"{base}billing/environments/prod/entries/", entry, format="json").status_code == 201
    created = client.post(f"{base}billing/environments/prod/api-keys/", {"name": "ci"}, format="json")
    api_key = created.json()["key"]
    machine = APIClient(HTTP_AUTHORIZATION=f"Api-Key {api_key}")
    assert machine.get(f"{base}billing/environments/prod/resolved/").json()["DATABASE_URL"] == SECRET_VALUE
    new_password = PASSWORD + "-rotated"
    changed = client.post(
        "/api/v1/auth/password/change/", {"current_password": PASSWORD, "new_password": new_password}, format="json"
    )
    assert changed.status_code == 204

    stored = _audit_table_text()
    logged = caplog.text + "".join(capfd.readouterr())
    assert "auth.login.succeeded" in stored and "apikey.created" in stored and "auth.password.changed" in stored
    for secret in (PASSWORD, new_password, tokens["access"], tokens["refresh"], api_key, SECRET_VALUE):
        assert secret not in stored, f"{secret[:12]}... stored in the audit trail"
        assert secret not in logged, f"{secret[:12]}... logged"
