"""Files, downloads and resumable uploads."""
from .env import VAR_DIR, env, env_int

MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(VAR_DIR / "media"))
MEDIA_URL = "/media/"
STORAGE_URL = env.str("STORAGE_URL", default="")
MAX_UPLOAD_SIZE = env_int("MAX_UPLOAD_SIZE", 5368709120)
UPLOAD_EXPIRY = env_int("UPLOAD_EXPIRY", 86400)
FILE_UPLOAD_TEMP_DIR = None

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
