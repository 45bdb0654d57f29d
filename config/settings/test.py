"""Settings for the test suite: the production composition with test-only defaults.

DATABASE_URL and REDIS_URL are honoured, so the same suite runs against PostgreSQL and Redis (CI) and
in the embedded mode (SQLite and the database cache).
"""

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdefghijklmnop")
os.environ.setdefault("CONFIG_ENCRYPTION_KEYS", "VO0qBKA0JDIwHSKSfNv9HnhF9feTmxShYqsvfn1nggs=")
os.environ.setdefault("FILES_LINK_SIGNING_KEYS", "test-link-signing-key-not-for-production-0123456789")
os.environ.setdefault("TESTING", "true")
os.environ.setdefault("EMAIL_URL", "memorymail://")
os.environ.setdefault("VAR_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "var", "test"))
if "JWT_SIGNING_KEYS" not in os.environ:
    from pathlib import Path

    from .keygen import generate_signing_key

    # Newest first: an Ed25519 key signs access tokens, the RSA key signs ID tokens; both verify.
    _keys = Path(os.environ["VAR_DIR"]) / "keys"
    os.environ["JWT_SIGNING_KEYS"] = ",".join(
        [generate_signing_key(_keys / "ed25519.pem", "ed25519"), generate_signing_key(_keys / "rsa.pem", "rsa")]
    )

from .base import *  # noqa: F403
from .base import DATABASES, PASSWORD_HASHERS, VAR_DIR

# Argon2 costs ~50 ms a hash; tests that check hashing itself use override_settings.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
MEDIA_ROOT = str(VAR_DIR / "media")
# A file, not SQLite's in-memory default, so a real gunicorn started by a test sees the test database.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Unit and API tests run background tasks in-process (on commit, as in production); the worker tests
# (tests/background/) run real worker processes with the production settings instead.
CELERY_TASK_ALWAYS_EAGER = True
