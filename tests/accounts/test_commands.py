"""Operator commands: createsuperuser --noinput gives a verified admin with every permission."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from accounts.models import User
from tests.support.auth import login

pytestmark = pytest.mark.django_db


def test_createsuperuser_noinput__verified_admin_with_every_permission(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "Root@Example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "root-passphrase-long-enough")

    call_command("createsuperuser", "--noinput", verbosity=0)

    admin = User.objects.get(email="root@example.com")
    assert admin.email_verified and admin.is_superuser and admin.is_staff
    assert admin.role == "admin"
    assert list(admin.groups.values_list("name", flat=True)) == ["admin"]
    assert admin.has_perm("accounts.change_user") and admin.has_perm("audit.view_auditevent")
    response = login(admin, "root-passphrase-long-enough").client().get("/api/v1/users/")
    assert response.status_code == 200
