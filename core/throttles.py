"""DRF throttles keyed by the trusted client ip (DRF's own key is the whole client-controlled XFF).

They count on the shared cache; when it is unreachable they let the request through (logged) rather than
fail it: throttling protects the service, it must not take it down with Redis. (The login lockout, a
security control, fails closed instead: accounts.lockout.)
"""

import logging

from rest_framework import throttling
from rest_framework.request import Request

from core.dependencies import CACHE_ERRORS
from core.net import client_bucket

logger = logging.getLogger(__name__)


class ClientIPMixin:
    def get_ident(self, request: Request) -> str:
        return client_bucket(request)

    def allow_request(self, request: Request, view: object) -> bool:
        try:
            return super().allow_request(request, view)  # type: ignore[misc]
        except CACHE_ERRORS as exc:
            logger.warning("throttle cache unreachable (%s): request allowed", type(exc).__name__)
            return True


class AnonThrottle(ClientIPMixin, throttling.AnonRateThrottle):
    pass


class UserThrottle(ClientIPMixin, throttling.UserRateThrottle):
    pass


class AuthThrottle(ClientIPMixin, throttling.ScopedRateThrottle):
    """For the auth endpoints: views set `throttle_scope = "auth"`."""
