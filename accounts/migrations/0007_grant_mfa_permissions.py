"""Grants the admin role the permissions of the second-factor models (passkeys, TOTP devices, ...)."""

from django.db import migrations

from accounts.roles import ALL, grant_role_permissions


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_session_revoked_reason_choices")]

    operations = [
        migrations.RunPython(grant_role_permissions("accounts", {"admin": ALL}), migrations.RunPython.noop),
    ]
