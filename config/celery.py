"""The Celery application of the worker (`celery -A config worker`) and the scheduler (`celery -A config beat`).

Configured from Django's settings (the CELERY_* names in config/settings/background.py); tasks live in
each app's `tasks.py`. Logging is Django's (JSON lines, secrets redacted); the request id of the request
that enqueued a task travels in its headers and is on every log line the task writes.
"""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.setup_logging.connect
def _keep_django_logging(**kwargs) -> None:
    """Connected, so Celery leaves logging alone: django.setup() has applied settings.LOGGING."""


@signals.before_task_publish.connect
def _send_request_id(headers: dict | None = None, **kwargs) -> None:
    from core.request_context import current_request_id

    if headers is not None and "request_id" not in headers:
        headers["request_id"] = current_request_id()


_tokens: dict[str, object] = {}


@signals.task_prerun.connect
def _bind_request_id(task_id: str | None = None, task=None, **kwargs) -> None:
    from core.request_context import set_request_id

    _tokens[task_id] = set_request_id(getattr(task.request, "request_id", None) or task_id)


@signals.task_postrun.connect
def _unbind_request_id(task_id: str | None = None, **kwargs) -> None:
    from core.request_context import reset_request_id

    token = _tokens.pop(task_id, None)
    if token is not None:
        reset_request_id(token)
