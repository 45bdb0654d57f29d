"""Grants the permissions of members and change requests to the roles: everyone who reads configuration
sees change requests and members; editors propose, approve and apply; admins manage members too."""

from django.db import migrations

from accounts.roles import grant_role_permissions

READ = ["view_changerequest", "view_namespacemember"]
WRITE = ["add_changerequest", "change_changerequest", "approve_changerequest"]
ADMIN = ["add_namespacemember", "change_namespacemember", "delete_namespacemember", "delete_changerequest"]

GRANTS = {
    "viewer": READ,
    "auditor": READ,
    "editor": READ + WRITE,
    "admin": READ + WRITE + ADMIN,
}


class Migration(migrations.Migration):
    dependencies = [("configurations", "0003_teams_reviews")]

    operations = [migrations.RunPython(grant_role_permissions("configurations", GRANTS), migrations.RunPython.noop)]
