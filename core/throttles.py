"""DRF throttles keyed by the trusted client ip (DRF's own key is the whole client-controlled XFF)."""
from rest_framework import throttling
from rest_framework.request import Request

from core.net import client_ip


class ClientIPMixin:
    def get_ident(self, request: Request) -> str:
        return client_ip(request)


class AnonThrottle(ClientIPMixin, throttling.AnonRateThrottle):
    pass


class UserThrottle(ClientIPMixin, throttling.UserRateThrottle):
    pass


class AuthThrottle(ClientIPMixin, throttling.ScopedRateThrottle):
    """For the auth endpoints: views set `throttle_scope = "auth"`."""
