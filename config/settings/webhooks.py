"""Webhooks."""

from .env import env_bool, env_int

# Deliveries to loopback, private and link-local addresses are refused unless this is true (tests, labs).
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env_bool("WEBHOOK_ALLOW_PRIVATE_NETWORKS", False)
# Seconds a failing delivery is retried (exponential backoff) before it is marked failed.
WEBHOOK_RETRY_FOR = env_int("WEBHOOK_RETRY_FOR", 90000)
