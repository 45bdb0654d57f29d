"""Project package; loading it loads the Celery app, so shared tasks bind to it in every process."""

from .celery import app as celery_app

__all__ = ("celery_app",)
