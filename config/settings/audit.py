"""Audit trail.

AUDIT_STORE_CLIENT_INFO (privacy, default true): whether audit events keep the client's IP address (from
core.net.client_ip, i.e. honouring TRUSTED_PROXIES) and User-Agent. Set it to false where personal data
must not be retained: new events then store neither (ip null, user agent empty); existing events keep
what they hold until `audit_prune --before` removes them, since an event can never be edited.
"""

from .env import VAR_DIR, env, env_bool

AUDIT_STORE_CLIENT_INFO = env_bool("AUDIT_STORE_CLIENT_INFO", True)
# django-auditlog supplies the signal wiring and field diffs (audit.registry); its LogEntry table is unused.
AUDITLOG_INCLUDE_ALL_MODELS = False
# Where the hourly job (and `audit_checkpoint --write`) keeps signed checkpoints: outside the database, so
# that someone who can rewrite the database cannot rewrite them too (ship them off the host in production).
AUDIT_CHECKPOINT_DIR = env.str("AUDIT_CHECKPOINT_DIR", default=str(VAR_DIR / "audit-checkpoints"))
