from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # Registers the OpenAPI authentication extensions before any schema is generated.
        from core import schema  # noqa: F401
