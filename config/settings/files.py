"""Files, downloads and resumable uploads.

Environment (all optional):
- MEDIA_ROOT: directory of the local file storage (default `var/media/`).
- STORAGE_URL: empty or `file:///dir` for the local file system; `s3://bucket?endpoint_url=...&region_name=...
  &access_key=...&secret_key=...` for an S3-compatible bucket through django-storages.
- MAX_UPLOAD_SIZE: the largest accepted upload in bytes (default 5 GiB).
- FILES_USER_QUOTA: bytes a user may store in total, unless their `downloads.StorageQuota` row says otherwise
  (default 10 GiB).
- FILES_CHUNK_SIZE: bytes per chunk of a file's chunk manifest (default 8 MiB; sha256 of each chunk).
- FILES_ACCEL_REDIRECT_PREFIX: when set (e.g. `/protected/`), byte endpoints answer with `X-Accel-Redirect` to
  `<prefix><storage name>` and let an nginx front send the bytes (local storage only).
- FILES_S3_REDIRECT: `true` to answer byte requests on an S3 storage with a 302 to a presigned URL.
- FILES_DOWNLOAD_ABANDON_AFTER: seconds without progress after which `files_cleanup` deletes a download (7 days).
- UPLOADS_S3_PART_SIZE: bytes per S3 part of a tus upload in progress on an S3 storage (default 8 MiB, at least
  5 MiB, S3's minimum): the most a PATCH holds in memory; bytes below 5 MiB wait in a tail object in the bucket.
- FILES_ORPHAN_GRACE: age in seconds before `files_cleanup` deletes a blob without a file row, or a temp file
  of a dead upload (1 day; longer than any upload in flight).
"""

from urllib.parse import parse_qsl, urlsplit

from .env import VAR_DIR, env, env_bool, env_int, fail

MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(VAR_DIR / "media"))
MEDIA_URL = "/media/"
STORAGE_URL = env.str("STORAGE_URL", default="")
MAX_UPLOAD_SIZE = env_int("MAX_UPLOAD_SIZE", 5368709120)
UPLOAD_EXPIRY = env_int("UPLOAD_EXPIRY", 86400)
UPLOADS_S3_PART_SIZE = env_int("UPLOADS_S3_PART_SIZE", 8 * 1024**2)  # >= 5 MiB; at most one in memory per PATCH
FILE_UPLOAD_TEMP_DIR = None

FILES_USER_QUOTA = env_int("FILES_USER_QUOTA", 10 * 1024**3)
FILES_CHUNK_SIZE = env_int("FILES_CHUNK_SIZE", 8 * 1024**2)
FILES_LINK_MAX_AGE = 604800
FILES_ACCEL_REDIRECT_PREFIX = env.str("FILES_ACCEL_REDIRECT_PREFIX", default="")
FILES_S3_REDIRECT = env_bool("FILES_S3_REDIRECT", False)
FILES_DOWNLOAD_ABANDON_AFTER = env_int("FILES_DOWNLOAD_ABANDON_AFTER", 7 * 86400)
FILES_ORPHAN_GRACE = env_int("FILES_ORPHAN_GRACE", 86400)


def files_storage(url: str) -> dict:
    """The STORAGES entry of the file store described by STORAGE_URL."""
    parts = urlsplit(url)
    if parts.scheme in ("", "file"):
        options = {"location": parts.path} if parts.path else {}
        return {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": options}
    if parts.scheme == "s3":
        query = dict(parse_qsl(parts.query))
        allowed = {"endpoint_url", "region_name", "access_key", "secret_key", "addressing_style", "signature_version"}
        unknown = set(query) - allowed
        if unknown or not parts.netloc:
            fail(f"STORAGE_URL: a bucket is required and only {sorted(allowed)} are accepted as parameters")
        return {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {"bucket_name": parts.netloc, "file_overwrite": False, "querystring_auth": True, **query},
        }
    fail(f"STORAGE_URL must be file:// or s3://, got scheme {parts.scheme!r}")
    return {}  # unreachable


STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "files": files_storage(STORAGE_URL),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
