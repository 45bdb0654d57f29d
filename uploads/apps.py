from django.apps import AppConfig


class UploadsConfig(AppConfig):
    name = "uploads"
    verbose_name = "Resumable uploads (tus)"
    default_auto_field = "django.db.models.BigAutoField"
