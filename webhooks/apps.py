from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Webhooks of configuration events; `tasks.py` (autodiscovered by background) registers the sender."""

    name = "webhooks"
    default_auto_field = "django.db.models.BigAutoField"
