"""IPv6 clients are counted by their /64 for the lockout and the throttles (issue 12.11)."""

from __future__ import annotations

import pytest
from django.test import override_settings

from core.net import ip_bucket
from core.throttles import AuthThrottle
from tests.accounts.factories import DEFAULT_PASSWORD

TOKEN_URL = "/api/v1/auth/token/"


@pytest.mark.parametrize(
    ("address", "bucket"),
    [
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("203.0.113.7", "203.0.113.7"),
        ("", ""),
    ],
)
def test_ip_bucket__ipv6_by_64_ipv4_by_address(address, bucket):
    assert ip_bucket(address) == bucket


def test_ip_bucket__neighbouring_64s__are_different_buckets():
    assert ip_bucket("2001:db8:1:2::1") != ip_bucket("2001:db8:1:3::1")


@pytest.mark.django_db
@override_settings(LOCKOUT_FAILURES=3)
def test_lockout__ipv6_addresses_of_one_64__share_the_lock(api_client, user):
    for host in range(1, 4):
        api_client.post(TOKEN_URL, {"email": user.email, "password": "wrong-one"}, REMOTE_ADDR=f"2001:db8:7:7::{host}")

    same_64 = api_client.post(
        TOKEN_URL, {"email": user.email, "password": DEFAULT_PASSWORD}, REMOTE_ADDR="2001:db8:7:7:dead:beef::99"
    )
    other_64 = api_client.post(
        TOKEN_URL, {"email": user.email, "password": DEFAULT_PASSWORD}, REMOTE_ADDR="2001:db8:7:8::1"
    )

    assert same_64.status_code == 429
    assert same_64.json()["code"] == "throttled"
    assert other_64.status_code == 200


@pytest.mark.django_db
def test_throttle__ipv6_addresses_of_one_64__share_the_bucket(api_client, monkeypatch):
    monkeypatch.setattr(AuthThrottle, "THROTTLE_RATES", {**AuthThrottle.THROTTLE_RATES, "auth": "2/min"})
    url = "/api/v1/auth/password/reset/"

    statuses = [
        api_client.post(url, {"email": "a@example.com"}, REMOTE_ADDR=f"2001:db8:9:9::{host}").status_code
        for host in range(1, 4)
    ]

    assert statuses == [202, 202, 429]
    assert api_client.post(url, {"email": "a@example.com"}, REMOTE_ADDR="2001:db8:9:a::1").status_code == 202
