"""The one client-IP resolver, used by throttling, lockout, logs and audit alike.

X-Forwarded-For is client-controlled: only hops appended by a proxy listed in TRUSTED_PROXIES are
believed. The list is walked from the right (the hop nearest to us) and the first address that is not
a trusted proxy is the client. With no trusted proxies configured, the socket peer is the client.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _parse_networks(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _trusted(address: str) -> bool:
    networks = _parse_networks(tuple(settings.TRUSTED_PROXIES))
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def _valid(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def resolve_client_ip(remote_addr: str, forwarded_for: str) -> str:
    if not _trusted(remote_addr):
        return remote_addr
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    client = remote_addr
    for hop in reversed(hops):
        if not _valid(hop):
            break  # garbage from the client side: stop at the last address a proxy vouched for
        client = hop
        if not _trusted(hop):
            break
    return client


def ip_bucket(address: str) -> str:
    """The identity counted by throttles and the lockout: an IPv6 client's /64 (one host is routinely
    given a whole /64, so counting addresses would give it 2^64 identities), an IPv4 address itself."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def client_bucket(request: HttpRequest) -> str:
    return ip_bucket(client_ip(request))


def client_ip(request: HttpRequest) -> str:
    cached = getattr(request, "_client_ip", None)
    if cached is None:
        cached = resolve_client_ip(
            request.META.get("REMOTE_ADDR", "") or "", request.META.get("HTTP_X_FORWARDED_FOR", "") or ""
        )
        request._client_ip = cached  # type: ignore[attr-defined]
    return cached
