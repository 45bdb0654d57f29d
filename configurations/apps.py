from django.apps import AppConfig


class ConfigurationsConfig(AppConfig):
    name = "configurations"
    verbose_name = "Configuration service"
    default_auto_field = "django.db.models.BigAutoField"
