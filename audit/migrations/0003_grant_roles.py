"""Auditors may read the trail; admins hold every audit permission (there is no write path anyway)."""

from django.db import migrations

from accounts.roles import ALL, grant_role_permissions

GRANTS = {"auditor": ["view_auditevent", "view_auditcheckpoint"], "admin": ALL}


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_immutability_trigger"),
        ("accounts", "0002_seed_roles"),
    ]

    operations = [migrations.RunPython(grant_role_permissions("audit", GRANTS), migrations.RunPython.noop)]
