"""Audit trail."""
from .env import env_bool

# Privacy: set to false to keep no client address or user agent in audit events.
AUDIT_STORE_CLIENT_INFO = env_bool("AUDIT_STORE_CLIENT_INFO", True)
AUDITLOG_INCLUDE_ALL_MODELS = False
