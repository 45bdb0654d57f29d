"""Errors of the audit trail (programming or integrity errors, never shown to API clients as such)."""

from __future__ import annotations


class AuditImmutableError(Exception):
    """An existing audit event or checkpoint was about to be changed or deleted outside the prune path."""
