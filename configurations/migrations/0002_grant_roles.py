"""Grants the configuration service's permissions to the roles (API.md: viewers read, editors write
entries and manage API keys and see secrets, admins everything incl. namespaces and environments)."""

from django.db import migrations

from accounts.roles import ALL, grant_role_permissions

READ = ["view_namespace", "view_environment", "view_entry", "view_entryversion"]
WRITE = [
    "add_entry",
    "change_entry",
    "delete_entry",
    "reveal_secret",
    "view_apikey",
    "add_apikey",
    "change_apikey",
    "delete_apikey",
]

GRANTS = {
    "viewer": READ,
    "auditor": READ,
    "editor": READ + WRITE,
    "admin": ALL,
}


class Migration(migrations.Migration):
    dependencies = [
        ("configurations", "0001_initial"),
        ("accounts", "0002_seed_roles"),
    ]

    operations = [migrations.RunPython(grant_role_permissions("configurations", GRANTS), migrations.RunPython.noop)]
