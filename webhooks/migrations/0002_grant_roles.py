"""Admins manage webhooks (namespace admins through their membership, configurations.access)."""

from django.db import migrations

from accounts.roles import ALL, grant_role_permissions


class Migration(migrations.Migration):
    dependencies = [("webhooks", "0001_initial"), ("accounts", "0002_seed_roles")]

    operations = [migrations.RunPython(grant_role_permissions("webhooks", {"admin": ALL}), migrations.RunPython.noop)]
