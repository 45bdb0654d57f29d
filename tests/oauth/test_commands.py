"""manage.py oauth_client_create: JSON out, the secret shown once and stored hashed."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from oauth2_provider.models import get_application_model

from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _create(*args: str) -> dict:
    out = StringIO()
    call_command("oauth_client_create", *args, stdout=out)
    return json.loads(out.getvalue())


def test_confidential_client__prints_id_and_secret__secret_stored_hashed(editor):
    created = _create("dash", "--grant", "authorization-code", "--redirect-uri", "https://app.example/cb")

    application = get_application_model().objects.get(client_id=created["client_id"])
    assert created["client_secret"] and application.client_secret != created["client_secret"]
    assert application.client_type == "confidential" and application.algorithm == "RS256"
    assert AuditEvent.objects.filter(action="oauth.client.created", target_id=str(application.pk)).exists()


def test_public_client__no_secret():
    created = _create("spa", "--grant", "authorization-code", "--redirect-uri", "https://app.example/cb", "--public")

    assert created["client_secret"] is None
    assert get_application_model().objects.get(client_id=created["client_id"]).client_type == "public"


def test_client_credentials__owner_and_scopes_kept(editor):
    created = _create("ci", "--grant", "client-credentials", "--owner", editor.email, "--scopes", "config:read")

    application = get_application_model().objects.get(client_id=created["client_id"])
    assert application.user == editor
    assert application.allowed_scopes.scopes == "config:read"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--grant", "client-credentials"], "acts for an --owner"),
        (["--grant", "authorization-code"], "needs at least one --redirect-uri"),
        (["--grant", "client-credentials", "--owner", "nobody@example.com"], "no active user"),
        (
            ["--grant", "authorization-code", "--redirect-uri", "https://a.example/", "--scopes", "root"],
            "unknown scopes",
        ),
        (["--grant", "authorization-code", "--redirect-uri", "ftp://a.example/"], "redirect"),
    ],
)
def test_bad_options__command_error_and_nothing_created(args, message):
    with pytest.raises(CommandError) as refused:
        _create("bad", *args)

    assert message.lower() in str(refused.value).lower()
    assert not get_application_model().objects.exists()
