"""Accounts: passwords, JWT sessions, lockout, e-mail."""

from datetime import timedelta

from .env import DEBUG, env, env_int, env_list, fail

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

JWT_ACCESS_TTL = env_int("JWT_ACCESS_TTL", 300)
JWT_REFRESH_TTL = env_int("JWT_REFRESH_TTL", 604800)

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=JWT_ACCESS_TTL),
    "REFRESH_TOKEN_LIFETIME": timedelta(seconds=JWT_REFRESH_TTL),
    # Signed and verified by accounts.tokens.KeyringTokenBackend with JWT_SIGNING_KEYS (kid, alg per key);
    # simplejwt's own backend is left without a key, so nothing can sign or verify with SECRET_KEY.
    "ALGORITHM": "RS256",
    "SIGNING_KEY": None,
    # Access tokens carry the session id ("sid"); accounts.authentication checks it is not revoked.
    "AUTH_TOKEN_CLASSES": ("accounts.tokens.SessionAccessToken",),
}
# Absolute cap on a session (seconds since login): refresh rotation never extends a session past it.
SESSION_ABSOLUTE_LIFETIME = env_int("SESSION_ABSOLUTE_LIFETIME", 30 * 86400)
# Revoked or expired sessions are kept this long (seconds) for the owner's and auditors' view, then
# `manage.py flushexpiredsessions` deletes them.
SESSION_RETENTION = env_int("SESSION_RETENTION", 7 * 86400)

LOCKOUT_FAILURES = env_int("LOCKOUT_FAILURES", 5)
LOCKOUT_IP_FAILURES = env_int("LOCKOUT_IP_FAILURES", 50)
LOCKOUT_WINDOW = env_int("LOCKOUT_WINDOW", 900)

_email_url = env.str("EMAIL_URL", default="")
if not DEBUG and (not _email_url or _email_url.startswith("consolemail:")):
    # A console backend in production would print live verification and reset links to the logs.
    fail("EMAIL_URL is not set (or is consolemail://); it is required when DEBUG is off (e.g. smtp://host:587)")
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)  # seconds per SMTP operation of the worker's every try
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="no-reply@localhost")
# Base URL of the links in verification and reset e-mails (the front end that takes the token).
FRONTEND_URL = env.str("FRONTEND_URL", default="http://localhost:8000")
# Paths under FRONTEND_URL that take the token as `?token=...`.
EMAIL_VERIFICATION_PATH = env.str("EMAIL_VERIFICATION_PATH", default="/verify-email")
PASSWORD_RESET_PATH = env.str("PASSWORD_RESET_PATH", default="/reset-password")
EMAIL_CHANGE_PATH = env.str("EMAIL_CHANGE_PATH", default="/confirm-email-change")
EMAIL_VERIFICATION_TIMEOUT = env_int("EMAIL_VERIFICATION_TIMEOUT", 3 * 86400)
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3600)

# Second factor and passkeys (accounts.mfa, accounts.passkeys).
MFA_TOKEN_TTL = env_int("MFA_TOKEN_TTL", 300)
WEBAUTHN_RP_ID = env.str("WEBAUTHN_RP_ID", default="localhost")
WEBAUTHN_RP_NAME = env.str("WEBAUTHN_RP_NAME", default="Backend")
WEBAUTHN_ORIGINS = env_list("WEBAUTHN_ORIGINS", ["/".join(FRONTEND_URL.split("/")[:3])])
WEBAUTHN_CHALLENGE_TTL = env_int("WEBAUTHN_CHALLENGE_TTL", 300)
