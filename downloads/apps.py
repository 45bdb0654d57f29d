from django.apps import AppConfig


class DownloadsConfig(AppConfig):
    name = "downloads"
    verbose_name = "Files and downloads"
    default_auto_field = "django.db.models.BigAutoField"
