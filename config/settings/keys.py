"""SECRET_KEY: required in production, generated once under var/ in DEBUG only."""

import secrets

from .env import DEBUG, VAR_DIR, env, fail


def _secret_key() -> str:
    key = env.str("SECRET_KEY", default="")
    if key:
        return key
    if not DEBUG:
        fail("SECRET_KEY is not set; it is required when DEBUG is off (set SECRET_KEY, or DEBUG=true for local use)")
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
