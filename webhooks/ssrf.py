"""The SSRF guard: a webhook may only reach public addresses, and the delivery connects to the very
address that was checked (no second DNS lookup that a rebinding attacker could answer differently).

No library does "resolve once, check, connect to that address, keep the name for Host and TLS" for the
standard library's http.client, so it is written here (two small connection classes).
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from urllib.parse import urlsplit

from django.conf import settings

from core.errors import ValidationError


class BlockedAddress(Exception):
    """The URL's host resolves to an address webhooks may not reach."""


def _allowed(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS:
        return True
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def resolve(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, checked ip) of an http(s) URL whose every address is allowed; BlockedAddress else."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BlockedAddress("Only http and https URLs with a host are allowed.")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise BlockedAddress(f"The host does not resolve: {exc}") from None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not addresses or not all(_allowed(address) for address in addresses):
        raise BlockedAddress("The host resolves to a loopback, private or link-local address.")
    return parts.scheme, parts.hostname, port, str(addresses[0])


def validate_url(url: str) -> None:
    """For the API: a URL that cannot be delivered to is a 400 on `url`."""
    try:
        resolve(url)
    except BlockedAddress as exc:
        raise ValidationError({"url": str(exc)}, code="url_not_allowed") from None


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # certificate of the name


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> int:
    """POST `body` to `url` over a connection to the checked address; returns the status code."""
    scheme, host, port, address = resolve(url)
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(host, port, address, timeout)
    try:
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        response.read(65536)  # the receiver's answer is not kept; read a little so the socket closes cleanly
        return response.status
    finally:
        connection.close()
