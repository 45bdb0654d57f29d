"""Seeds the four roles as groups and grants them the accounts app's permissions.

Other apps grant their own permissions to these groups in their own migrations (accounts.roles).
"""

from django.db import migrations

from accounts.roles import ALL, grant_role_permissions

GRANTS = {
    "viewer": [],
    "editor": [],
    "auditor": [],
    "admin": ALL,
}


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant_role_permissions("accounts", GRANTS), migrations.RunPython.noop)]
