"""Admins hold every files permission (the admin site); auditors may look. Owners need none: the API
scopes every query to the caller's own files and downloads."""

from django.db import migrations

from accounts.roles import ALL, grant_role_permissions

GRANTS = {"auditor": ["view_file", "view_download", "view_filelink", "view_storagequota"], "admin": ALL}


class Migration(migrations.Migration):
    dependencies = [
        ("downloads", "0001_initial"),
        ("accounts", "0002_seed_roles"),
    ]

    operations = [migrations.RunPython(grant_role_permissions("downloads", GRANTS), migrations.RunPython.noop)]
