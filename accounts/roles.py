"""Roles are Django groups with model permissions, seeded by migrations and editable in the admin.

Each app grants its own permissions to the roles in a data migration of its own, with
`grant_role_permissions`, so no app's migration has to know another app's models.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import models


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    EDITOR = "editor", "Editor"
    AUDITOR = "auditor", "Auditor"
    ADMIN = "admin", "Admin"


ALL = "__all__"


def grant_role_permissions(app_label: str, grants: dict[str, Iterable[str] | str]) -> Callable:
    """Return a RunPython function granting `app_label`'s permissions (codenames, or ALL) to roles.

    Permissions are normally created after `migrate` (post_migrate), too late for a data migration on a
    fresh database, so they are created here first.
    """

    def forward(apps, schema_editor) -> None:
        from django.contrib.auth.management import create_permissions

        app_config = apps.get_app_config(app_label)
        app_config.models_module = True  # lets create_permissions work on the migration state
        create_permissions(app_config, verbosity=0, apps=apps, using=schema_editor.connection.alias)
        app_config.models_module = None
        group_model = apps.get_model("auth", "Group")
        permission_model = apps.get_model("auth", "Permission")
        for role, codenames in grants.items():
            group, _ = group_model.objects.get_or_create(name=role)
            permissions = permission_model.objects.filter(content_type__app_label=app_label)
            if codenames != ALL:
                permissions = permissions.filter(codename__in=list(codenames))
            group.permissions.add(*permissions)

    return forward
