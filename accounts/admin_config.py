from django.contrib.admin.apps import AdminConfig


class ProjectAdminConfig(AdminConfig):
    """django.contrib.admin with the guarded login (accounts.admin_site); a module of its own because an
    AppConfig module is imported before the models, which the admin site's forms need."""

    default_site = "accounts.admin_site.ProjectAdminSite"
