"""core.net.client_ip: X-Forwarded-For is believed only as far as hops appended by TRUSTED_PROXIES."""

import pytest
from django.test import RequestFactory

from core.net import client_ip, resolve_client_ip

PROXIES = ["10.0.0.0/8", "192.168.1.7", "fd00::/8", "::1"]


@pytest.mark.parametrize(
    ("trusted", "remote", "forwarded", "expected"),
    [
        # No trusted proxies: the socket peer, whatever the header says.
        ([], "203.0.113.9", "198.51.100.1", "203.0.113.9"),
        ([], "2001:db8::9", "198.51.100.1", "2001:db8::9"),
        # Untrusted peer sending a spoofed header: the peer.
        (PROXIES, "203.0.113.9", "10.1.1.1, 198.51.100.1", "203.0.113.9"),
        # Trusted IPv4 proxy (single address): the address it appended.
        (PROXIES, "192.168.1.7", "198.51.100.1", "198.51.100.1"),
        # Trusted by CIDR, two proxies in a chain: the first untrusted hop from the right.
        (PROXIES, "10.0.0.2", "198.51.100.1, 10.9.9.9", "198.51.100.1"),
        # A client-forged prefix is ignored: only the hop our proxy appended counts.
        (PROXIES, "10.0.0.2", "1.2.3.4, 198.51.100.1", "198.51.100.1"),
        # IPv6 proxies and clients, by CIDR and single address.
        (PROXIES, "fd00::5", "2001:db8::1", "2001:db8::1"),
        (PROXIES, "::1", "2001:db8::2, fd12::1", "2001:db8::2"),
        # Trusted proxy but no header: the proxy itself.
        (PROXIES, "10.0.0.2", "", "10.0.0.2"),
        # Garbage where an address should be: stop at the last hop a proxy vouched for.
        (PROXIES, "10.0.0.2", "198.51.100.1, not-an-ip", "10.0.0.2"),
        (PROXIES, "10.0.0.2", "not-an-ip, 198.51.100.1", "198.51.100.1"),
        # Every hop trusted: the leftmost one.
        (PROXIES, "10.0.0.2", "10.3.3.3, 10.4.4.4", "10.3.3.3"),
        # A host just outside the CIDR is not trusted.
        (["10.0.0.0/24"], "10.0.1.1", "198.51.100.1", "10.0.1.1"),
    ],
)
def test_resolve_client_ip__table(settings, trusted, remote, forwarded, expected):
    settings.TRUSTED_PROXIES = trusted

    assert resolve_client_ip(remote, forwarded) == expected


def test_client_ip__request__uses_remote_addr_and_header_once(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.4")

    assert client_ip(request) == "198.51.100.4"
    request.META["HTTP_X_FORWARDED_FOR"] = "198.51.100.5"
    assert client_ip(request) == "198.51.100.4"  # resolved once per request


def test_request_log__client_ip__is_the_resolved_one(settings, client, caplog):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    with caplog.at_level("INFO", logger="app.request"):
        client.get("/health", HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.50")

    assert caplog.records[-1].client_ip == "203.0.113.50"
