"""Core Django settings; the other concerns are composed at the bottom."""

from .env import BASE_DIR, DEBUG, TESTING, VAR_DIR, env, env_int, env_list  # noqa: F401
from .keys import AUDIT_SIGNING_KEY, FILES_LINK_SIGNING_KEYS, JWT_SIGNING_KEYS, SECRET_KEY, SECRET_KEY_FALLBACKS  # noqa: F401

(VAR_DIR / "static").mkdir(parents=True, exist_ok=True)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    "accounts.admin_config.ProjectAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "corsheaders",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "auditlog",
    "django_celery_beat",
    "core",
    "accounts",
    "audit",
    "configurations",
    "webhooks",
    "downloads",
    "uploads",
    "health",
    "background",
    "oauth",  # before oauth2_provider: its templates override the toolkit's
    "oauth2_provider",
]

MIDDLEWARE = [
    "core.middleware.RequestIDMiddleware",
    "core.middleware.ProblemDetailsMiddleware",
    "health.middleware.RequestMetricsMiddleware",
    "core.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Response-only headers sit high, so even responses made by the middleware below carry them.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "audit.middleware.AuditRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _databases() -> dict:
    database = env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
    if database["ENGINE"] == "django.db.backends.postgresql":
        # psycopg 3's pool: a sync worker serves one request at a time, so a small pool per worker is
        # enough; the short timeout turns a database outage into a quick 503 instead of a hung worker.
        # Health checks make the pool test a connection idle for over DB_POOL_CHECK_IDLE seconds before
        # handing it out, so connections severed by a database restart are replaced instead of failing
        # one request each, without a round trip on every request (core.postgresql).
        database["ENGINE"] = "core.postgresql"
        database["CONN_MAX_AGE"] = 0
        database["CONN_HEALTH_CHECKS"] = True
        database["OPTIONS"] = {
            "pool": {
                "min_size": 1,
                "max_size": env_int("DB_POOL_MAX_SIZE", 8),
                "timeout": env_int("DB_POOL_TIMEOUT", 5),
            },
            "connect_timeout": env_int("DB_CONNECT_TIMEOUT", 2),
        }
    elif database["ENGINE"] == "django.db.backends.sqlite3":
        # WAL and IMMEDIATE transactions let several gunicorn workers share one SQLite file without
        # "database is locked" errors on concurrent writes.
        database["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    return {"default": database}


DATABASES = _databases()
# Seconds a pooled connection may sit unused and still be handed out untested (core.postgresql).
DB_POOL_CHECK_IDLE = env_int("DB_POOL_CHECK_IDLE", 1)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
CACHE_KEY_PREFIX = env.str("CACHE_KEY_PREFIX", default="app")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
            },
        }
    }
else:
    # Django's database cache is shared by every worker and instance using the same database.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "django_cache",
            "KEY_PREFIX": CACHE_KEY_PREFIX,
        }
    }

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"

from .accounts import *  # noqa: E402,F403
from .api import *  # noqa: E402,F403
from .audit import *  # noqa: E402,F403
from .background import *  # noqa: E402,F403
from .configurations import *  # noqa: E402,F403
from .files import *  # noqa: E402,F403
from .logging import *  # noqa: E402,F403
from .oauth import *  # noqa: E402,F403
from .security import *  # noqa: E402,F403
from .webhooks import *  # noqa: E402,F403
