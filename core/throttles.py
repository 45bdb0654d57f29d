"""DRF throttles keyed by the trusted client ip (DRF's own key is the whole client-controlled XFF), counted
by a sliding window on the shared cache, so a limit holds across every worker and instance.

DRF's SimpleRateThrottle keeps a pickled list of timestamps per client: a GET and a SET per request, and
two instances racing between them both let a request through. Here one Redis round trip runs a small
Lua script that reads the current and the previous window's counters and, if the weighted sum (the
sliding-window estimate) is under the limit, increments the current one: atomic, a few bytes per client.
Like DRF, a refused request is not counted. Without Redis (the embedded mode's database cache) the same
estimate is computed with plain cache calls, good enough for a single host.

When the cache is unreachable they let the request through (logged) rather than fail it: throttling
protects the service, it must not take it down with Redis. (The login lockout, a security control,
fails closed instead: accounts.lockout.)
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import cache as once
from typing import Any

from django.core.cache import cache
from rest_framework import throttling
from rest_framework.request import Request

from core.cache import cache_optional
from core.net import client_bucket

# KEYS: current window, previous window. ARGV: limit, weight of the previous window, expiry in ms.
_SLIDING_WINDOW = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
if previous * tonumber(ARGV[2]) + current >= tonumber(ARGV[1]) then
  return {0, current, previous}
end
current = redis.call('INCR', KEYS[1])
if current == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return {1, current, previous}
"""


# The same, after an MGET of KEYS[3..]: the authentication's cache reads and the throttle of the request
# in one round trip (`read_and_hit`). ARGV[1] empty: no throttle, only the reads.
_READ_AND_HIT = """
local values = redis.call('MGET', unpack(KEYS, 3))
if ARGV[1] == '' then return {1, 0, 0, values} end
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
if previous * tonumber(ARGV[2]) + current >= tonumber(ARGV[1]) then
  return {0, current, previous, values}
end
current = redis.call('INCR', KEYS[1])
if current == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return {1, current, previous, values}
"""


@once
def _redis_script(source: str = _SLIDING_WINDOW):
    """The registered script, or None when the cache is not django-redis."""
    try:
        from django_redis import get_redis_connection

        return get_redis_connection("default").register_script(source)
    except (ImportError, NotImplementedError, AttributeError):
        return None


@dataclass(frozen=True)
class Hit:
    """A throttle check made ahead of the throttle (by the authentication), for `key`."""

    key: str
    limit: int
    duration: int
    now: float


# Where a request's throttle verdicts made ahead of its throttles wait: its WSGI environ (`request.META`), so a
# verdict made by the hot lane (core.lane) in front of Django reaches the throttles of the full stack too.
VERDICTS = "throttle.verdicts"


def view_hit(view: object, throttle_class: type, ident: str) -> Hit | None:
    """The check of `throttle_class` keyed by `ident` that `view` (a view or its class) makes, if it has one."""
    classes = getattr(view, "throttle_classes", ())
    if not any(isinstance(c, type) and issubclass(c, throttle_class) for c in classes):
        return None
    throttle = throttle_class()
    if throttle.rate is None:
        return None
    key = throttle.cache_format % {"scope": throttle.scope, "ident": ident}
    return Hit(key, throttle.num_requests, throttle.duration, time.time())


def pending_hit(request: Request, throttle_class: type, ident: str) -> Hit | None:
    """The check of `throttle_class` (keyed by `ident`) this request will meet, if its view has one and it is
    not made yet, so the authentication can make it in the same round trip as its own reads."""
    view = (getattr(request, "parser_context", None) or {}).get("view")
    hit = view_hit(view, throttle_class, ident)
    return hit if hit is not None and hit.key not in request.META.get(VERDICTS, {}) else None


def pending_user_hit(request: Request, user_id: str) -> Hit | None:
    return pending_hit(request, UserThrottle, user_id)


def read_and_hit(meta: dict[str, Any], keys: list[str], hit: Hit | None) -> dict[str, Any]:
    """`cache.get_many(keys)`, and the throttle check `hit` in the same Redis round trip; its verdict waits
    in the request's `meta` (environ) for the throttle. Raises CACHE_ERRORS like the cache does."""
    script = _redis_script(_READ_AND_HIT)
    if script is None or not keys:
        values = cache.get_many(keys)
        if hit is not None:
            _remember(meta, hit, window_hit(hit.key, hit.limit, hit.duration, hit.now))
        return values
    index = int(hit.now // hit.duration) if hit else 0
    throttle_keys = (
        [cache.make_key(f"{hit.key}:{index}"), cache.make_key(f"{hit.key}:{index - 1}")] if hit else ["", ""]
    )
    args = [hit.limit, 1 - (hit.now % hit.duration) / hit.duration, hit.duration * 2000] if hit else ["", 0, 0]
    allowed, current, previous, raw = script(keys=[*throttle_keys, *(cache.make_key(key) for key in keys)], args=args)
    if hit is not None:
        _remember(meta, hit, (bool(allowed), int(current), int(previous)))
    client = cache.client
    return {key: client.decode(value) for key, value in zip(keys, raw, strict=True) if value is not None}


def _remember(meta: dict[str, Any], hit: Hit, verdict: tuple[bool, int, int]) -> None:
    meta.setdefault(VERDICTS, {})[hit.key] = verdict


def made_verdict(meta: dict[str, Any], key: str) -> tuple[bool, int, int] | None:
    """The verdict made ahead for `key` in this request, if any."""
    return meta.get(VERDICTS, {}).get(key)


def window_hit(key: str, limit: int, duration: int, now: float) -> tuple[bool, int, int]:
    """Count one request of `key` if the sliding window allows it: (allowed, current, previous)."""
    index = int(now // duration)
    weight = 1 - (now % duration) / duration
    current_key, previous_key = cache.make_key(f"{key}:{index}"), cache.make_key(f"{key}:{index - 1}")
    script = _redis_script()
    if script is not None:
        allowed, current, previous = script(keys=[current_key, previous_key], args=[limit, weight, duration * 2000])
        return bool(allowed), int(current), int(previous)
    values = cache.get_many([f"{key}:{index}", f"{key}:{index - 1}"])
    current, previous = values.get(f"{key}:{index}", 0), values.get(f"{key}:{index - 1}", 0)
    if previous * weight + current >= limit:
        return False, current, previous
    cache.add(f"{key}:{index}", 0, timeout=duration * 2)
    return True, cache.incr(f"{key}:{index}"), previous


class SlidingWindowMixin:
    """Replaces SimpleRateThrottle's timestamp list with `window_hit`; DRF's keys and rates stay."""

    rate: str | None
    num_requests: int
    duration: int
    _wait: float | None = None

    def get_ident(self, request: Request) -> str:
        return client_bucket(request)

    def allow_request(self, request: Request, view: object) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)  # type: ignore[attr-defined]
        if key is None:
            return True
        now = time.time()
        verdicts = request.META.get(VERDICTS, {})
        if key in verdicts:  # made by the authentication (or the hot lane), in its own round trip
            result = verdicts.pop(key)
        else:
            result = (True, 0, 0)
            with cache_optional("a throttle"):  # an outage lets the request through
                result = window_hit(key, self.num_requests, self.duration, now)
        allowed, current, previous = result
        if not allowed:
            self._wait = self._retry_after(current, previous, now)
        return allowed

    def _retry_after(self, current: int, previous: int, now: float) -> float:
        """Seconds until the estimate falls under the limit again (at the latest, the next window)."""
        elapsed = now % self.duration
        if current >= self.num_requests or previous == 0:
            return self.duration - elapsed
        # previous * (1 - (elapsed + t) / duration) + current < limit
        needed = self.duration * (1 - (self.num_requests - current) / previous) - elapsed
        return max(1.0, min(math.ceil(needed), self.duration - elapsed))

    def wait(self) -> float | None:
        return self._wait


class AnonThrottle(SlidingWindowMixin, throttling.AnonRateThrottle):
    pass


class UserThrottle(SlidingWindowMixin, throttling.UserRateThrottle):
    pass


class AuthThrottle(SlidingWindowMixin, throttling.ScopedRateThrottle):
    """For the auth endpoints: views set `throttle_scope = "auth"`."""

    def allow_request(self, request: Request, view: object) -> bool:
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


__all__ = ["AnonThrottle", "AuthThrottle", "UserThrottle", "window_hit"]
