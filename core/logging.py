"""Logging filters: request context on every line, and redaction of anything that looks secret."""
from __future__ import annotations

import logging
import re

from core.request_context import current_request_id

REDACTED = "[REDACTED]"

_PATTERNS = [
    # JWTs (three base64url parts, the first a JSON header)
    (re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), REDACTED),
    # Authorization schemes
    (re.compile(r"(?i)\b(Bearer|Api-Key|Basic|Token)\s+[A-Za-z0-9._~+/=-]+"), r"\1 " + REDACTED),
    # key=value / "key": "value" pairs whose key names a secret
    (
        re.compile(
            r"""(?ix)
            (["']?\b(?:[a-z_]*password|passwd|secret|[a-z_]*token|api[_-]?key|authorization|refresh|access|
            signature|sig)\b["']?\s*[:=]\s*)
            (["']?)([^"'\s,&;}]+)"""
        ),
        r"\1\2" + REDACTED,
    ),
]

_SECRET_EXTRA_KEYS = re.compile(r"(?i)password|secret|token|api_?key|authorization")


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecretsFilter(logging.Filter):
    """Strips passwords, tokens, Authorization headers and API keys from every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the line
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        for key, value in list(record.__dict__.items()):
            if _SECRET_EXTRA_KEYS.search(key) and key not in ("msg", "args"):
                setattr(record, key, REDACTED)
            elif isinstance(value, str) and key not in ("msg", "name", "levelname", "pathname", "filename"):
                setattr(record, key, redact(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True
