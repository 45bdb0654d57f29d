"""Grants the admin role the permissions of the models added after 0002 (user sessions) and those of
django.contrib.auth (groups and their permissions), so administrators can edit the roles in the admin."""

from django.db import migrations

from accounts.roles import ALL, grant_role_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_usersession"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunPython(grant_role_permissions("accounts", {"admin": ALL}), migrations.RunPython.noop),
        migrations.RunPython(grant_role_permissions("auth", {"admin": ALL}), migrations.RunPython.noop),
    ]
