"""Brute-force lockout: counters of failed logins per (account, client ip) and per client ip.

Hand-written rather than django-axes: axes applies one failure limit to all its lockout keys, while
API.md asks for two (LOCKOUT_FAILURES for an account from one ip, LOCKOUT_IP_FAILURES for an ip), and
axes resolves the client ip itself, while this project has one resolver (core.net.client_ip) honouring
TRUSTED_PROXIES. The counters live on the shared cache, so they hold across workers and instances.

Why these keys: counting failures per account alone would let anyone lock a victim out from anywhere;
per (account, ip) an attacker only locks out himself, and the per-ip limit stops one address from
spraying many accounts. The remaining gap (a botnet trying one account from many addresses) is bounded
by the password policy and the per-ip throttle.
"""

from __future__ import annotations

import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache

from core.cache import cache_required
from core.net import ip_bucket


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


def _keys(email: str, ip: str) -> dict[str, str]:
    ip = ip_bucket(ip)  # an IPv6 client counts as its /64
    account = _digest(email.strip().lower(), ip)
    address = _digest(ip)
    return {
        "account_count": f"lockout:count:account:{account}",
        "ip_count": f"lockout:count:ip:{address}",
        "account_lock": f"lockout:lock:account:{account}",
        "ip_lock": f"lockout:lock:ip:{address}",
    }


def lockout_retry_after(*, email: str, ip: str) -> int:
    """Seconds until (email, ip) may try again; 0 when not locked out."""
    keys = _keys(email, ip)
    with cache_required("the lockout check"):
        locks = cache.get_many([keys["account_lock"], keys["ip_lock"]])
    if not locks:
        return 0
    return max(1, math.ceil(max(locks.values()) - time.time()))


def _count(key: str) -> int:
    with cache_required("the lockout counters"):
        cache.add(key, 0, timeout=settings.LOCKOUT_WINDOW)
        try:
            return cache.incr(key)
        except ValueError:  # expired between add and incr: this failure starts a new window
            cache.set(key, 1, timeout=settings.LOCKOUT_WINDOW)
            return 1


def lockout_register_failure(*, email: str, ip: str) -> list[str]:
    """Count a failed login; returns the scopes ("account", "ip") that this failure locked."""
    keys = _keys(email, ip)
    locked: list[str] = []
    unlock_at = time.time() + settings.LOCKOUT_WINDOW
    if _count(keys["account_count"]) == settings.LOCKOUT_FAILURES:
        locked.append("account")
    if _count(keys["ip_count"]) == settings.LOCKOUT_IP_FAILURES:
        locked.append("ip")
    if locked:
        with cache_required("the lockout"):
            cache.set_many({keys[f"{scope}_lock"]: unlock_at for scope in locked}, timeout=settings.LOCKOUT_WINDOW)
    return locked


def lockout_reset(*, email: str, ip: str) -> None:
    """A successful login clears the (account, ip) counter; the ip's own counter keeps running."""
    with cache_required("the lockout counters"):
        cache.delete(_keys(email, ip)["account_count"])
