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
    """A secret entry as the registry sees it, plaintext value included (as if a service forgot to encrypt)."""
    from configurations.models import Entry, Environment, Namespace

    namespace = Namespace.objects.create(slug="billing")
    environment = Environment.objects.create(namespace=namespace, slug="production")
    entry = Entry.objects.create(
        environment=environment, key="DATABASE_URL", value_type="string", value=SECRET_VALUE,
        value_encrypted="gAAAA-ciphertext", secret=True,
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
    record("auth.password.changed", actor=user, target=user, request=request,
           changes={"password": [PASSWORD, PASSWORD + "2"]}, metadata={"new_password": PASSWORD + "2"})
    record("auth.login.succeeded", actor=user, request=request,
           metadata={"access": JWT, "refresh": JWT, "echo": f"issued {JWT}", "tokens": [JWT]})
    record("apikey.created", actor=user, request=request, metadata={"key": API_KEY, "shown_once": API_KEY})
    entry = _secret_entry_saved_with_plaintext()
    record("config.entry.updated", actor=user, target=entry, request=request,
           changes={"value": ["********", "********"], "secret_value": SECRET_VALUE},
           metadata={"note": f"set {entry.key} (secret)"})

    stored = _audit_table_text()
    logged = caplog.text + "".join(capfd.readouterr())
    assert "model.configurations.entry.updated" in stored and "DATABASE_URL" in stored  # captured, key kept
    for secret in (PASSWORD, JWT, API_KEY, SECRET_VALUE, "gAAAA-ciphertext"):
        assert secret not in stored, f"{secret[:12]}... stored in the audit trail"
        assert secret not in logged, f"{secret[:12]}... logged"
