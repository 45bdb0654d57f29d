"""Logging filters: request context on every line, and redaction of anything that looks secret."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from core.request_context import current_request_id

REDACTED = "[REDACTED]"


def _redact_pair(match: re.Match[str]) -> str:
    value = match[2]
    quote = value[0] if value[0] in "\"'" else ""
    return f"{match[1]}{quote}{REDACTED}{quote}"


# Every pattern starts at an anchor (a word boundary, or no base64url character before it), so the
# engine does real work only where a token can begin and scans each run of token characters from one
# start: linear in the text. (Unanchored, `eyJ…` retried from every position of a long run of `eyJ`:
# quadratic, minutes for a megabyte.)
_ANCHOR = r"(?<![A-Za-z0-9_-])"
_PATTERNS: list[tuple[re.Pattern[str], Any]] = [
    # API keys of the configuration service (`ck_` + 43 characters): the public 8-character prefix stays
    (re.compile(_ANCHOR + r"(ck_[A-Za-z0-9_-]{8})[A-Za-z0-9_-]{12,}"), r"\1" + REDACTED),
    # JWTs (three base64url parts, the first a JSON header)
    (re.compile(_ANCHOR + r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), REDACTED),
    # signed download links carry their token in the path (/api/v1/d/<token>/)
    (re.compile(r"(/api/v\d+/d/)[^/\s\"']+"), r"\1" + REDACTED),
    # Authorization schemes
    (re.compile(r"(?i)\b(Bearer|Api-Key|Basic|Token)\s+[A-Za-z0-9._~+/=-]+"), r"\1 " + REDACTED),
    # key=value / "key": "value" pairs whose key names a secret; a quoted value is dropped up to its quote
    (
        re.compile(
            r"""(?ix)
            (["']?\b(?:[a-z_]*password|passwd|secret|[a-z_]*token|api[_-]?key|authorization|refresh|access|
            signature|sig)\b["']?\s*[:=]\s*)
            ("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^"'\s,&;}]+)"""
        ),
        _redact_pair,
    ),
]

_SECRET_KEYS = re.compile(r"(?i)password|passwd|secret|token|api_?key|authorization|cookie|signature")
# LogRecord's own attributes: never renamed or redacted wholesale.
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


# Something every pattern above needs in the text: most log strings (routes, ids, statuses) have none,
# and one scan for it spares them the five patterns.
_MAY_HOLD_SECRET = re.compile(
    r"(?i)eyJ|ck_|/d/|bearer|api-key|basic|token|passw|secret|api[_-]?key|authorization|refresh|access|sig"
)


def redact(text: str) -> str:
    if not _MAY_HOLD_SECRET.search(text):
        return text
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _redact_value(value: Any) -> Any:
    """Strings are scrubbed; in mappings, a value under a secret-looking key is dropped whole."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {key: REDACTED if _SECRET_KEYS.search(str(key)) else _redact_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [_redact_value(item) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact(str(value))  # e.g. Django's `request` extra, whose repr holds the query string


class RedactSecretsFilter(logging.Filter):
    """Strips passwords, tokens, Authorization headers and API keys from every log record: the message,
    its extra fields (nested too) and the formatted traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the line
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        for key, value in list(vars(record).items()):
            if key in _RECORD_FIELDS:
                continue
            setattr(record, key, REDACTED if _SECRET_KEYS.search(key) else _redact_value(value))
        if record.exc_info:
            # Formatters would format exc_info afresh (the JSON one ignores exc_text), so the redacted
            # text replaces it.
            record.exc_text = record.exc_text or logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            # Django logs some lines (django.request) after the request-id middleware has returned.
            request = getattr(record, "request", None)
            record.request_id = current_request_id() or getattr(request, "request_id", None)
        return True
