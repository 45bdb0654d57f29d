"""Guard for the security state kept on the shared cache (lockout counters, session revocations)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from core.errors import ServiceUnavailableError

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30


@contextmanager
def cache_required(purpose: str) -> Iterator[None]:
    """Fail closed: when the shared cache cannot be reached, answer 503 (Retry-After) rather than skip
    a lockout check or lose a revocation. Raised inside the caller's transaction, so nothing is kept.

    Catches every exception of the block: each cache backend raises its own (redis, database) errors,
    so keep the block to the cache calls themselves.
    """
    try:
        yield
    except Exception as exc:
        logger.warning("shared cache unavailable for %s", purpose, exc_info=True)
        raise ServiceUnavailableError(
            "A dependency is unavailable; try again shortly.",
            code="cache_unavailable",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        ) from exc
