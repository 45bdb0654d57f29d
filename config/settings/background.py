"""Background work: Celery (worker and scheduler processes) and the transactional outbox.

The broker is the Redis of REDIS_URL (or CELERY_BROKER_URL); with neither, kombu's filesystem transport
under var/broker/, so the embedded mode needs no Redis. Not eager mode: that would run the work (SMTP)
inside the request again.
"""

from .env import VAR_DIR, env, env_int

_redis_url = env.str("REDIS_URL", default="")
# (the host part only silences kombu's "no hostname" warning; the filesystem transport ignores it)
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or _redis_url or "filesystem://localhost/"
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _folder in ("queue", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
    }
else:
    # Short socket timeouts: publishing happens after a request's commit and must never hang it; an
    # unpublished message is picked up by the relay. The visibility timeout redelivers a task whose
    # worker died without acknowledging it (acks_late).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5, "visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="celery")
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_RESULT_EXPIRES = None
CELERY_WORKER_CONCURRENCY = env_int("WORKER_CONCURRENCY", 2)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # Django's LOGGING: JSON lines with the request id, redacted
CELERY_WORKER_SEND_TASK_EVENTS = False
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "background.scheduler:LeasedDatabaseScheduler"
CELERY_BEAT_MAX_LOOP_INTERVAL = 5
DJANGO_CELERY_BEAT_TZ_AWARE = True

# Seconds: how often the scheduler republishes due retries; a message the broker has held this long
# without a result is published again (harmless: a row is claimed by one try at a time).
OUTBOX_RELAY_INTERVAL = env_int("OUTBOX_RELAY_INTERVAL", 10)
OUTBOX_REPUBLISH_AFTER = env_int("OUTBOX_REPUBLISH_AFTER", 300)
OUTBOX_RETENTION = env_int("OUTBOX_RETENTION", 7 * 86400)
SCHEDULER_LEASE_SECONDS = env_int("SCHEDULER_LEASE_SECONDS", 30)
