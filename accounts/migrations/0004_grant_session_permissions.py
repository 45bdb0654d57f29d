"""Grants the admin role the permissions of the models added after 0002 (user sessions)."""
from django.db import migrations

from accounts.roles import ALL, grant_role_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_usersession"),
    ]

    operations = [migrations.RunPython(grant_role_permissions("accounts", {"admin": ALL}), migrations.RunPython.noop)]
