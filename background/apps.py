from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class BackgroundConfig(AppConfig):
    name = "background"
    verbose_name = "Background work"

    def ready(self) -> None:
        # Every app's `tasks.py` registers its outbox senders and periodic jobs; importing them here (in
        # every process: web, worker, scheduler, manage.py) makes the registries complete wherever they are read.
        autodiscover_modules("tasks")
