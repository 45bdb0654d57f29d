"""core.cache: the one place that decides what a cache outage means."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import ConnectionError as RedisConnectionError

from core import cache as cache_layer
from core.cache import CACHE_ERRORS, cache_optional, cache_required
from core.errors import ServiceUnavailableError


@pytest.mark.parametrize(
    "error",
    [
        ConnectionInterrupted(connection=None),
        RedisConnectionError("down"),
        ConnectionRefusedError(),
        OperationalError(),
    ],
)
def test_cache_optional__outage__block_abandoned_and_no_error(error):
    reached = []
    with cache_optional("a test read"):
        raise error
    reached.append(True)

    assert reached == [True]


def test_cache_optional__a_bug__is_not_swallowed():
    with pytest.raises(KeyError), cache_optional("a test read"):
        raise KeyError("not an outage")


def test_cache_required__outage__503_cache_unavailable_with_retry_after():
    with pytest.raises(ServiceUnavailableError) as caught, cache_required("a test write"):
        raise RedisConnectionError("down")

    assert caught.value.code == "cache_unavailable"
    assert caught.value.headers == {"Retry-After": "30"}


def test_helpers__cache_down__read_is_a_miss_and_writes_are_skipped(monkeypatch):
    class Down:
        def __getattr__(self, name):
            def broken(*args, **kwargs):
                raise RedisConnectionError("down")

            return broken

    monkeypatch.setattr(cache_layer, "cache", Down())

    assert cache_layer.get_many(["a"]) == {}
    assert cache_layer.add_value("a", 1, 10) is False
    cache_layer.set_value("a", 1, 10)
    cache_layer.delete_many(["a"])


def test_cache_errors__one_tuple__used_by_the_error_handling():
    from core.dependencies import DEPENDENCY_ERRORS

    assert set(CACHE_ERRORS) <= set(DEPENDENCY_ERRORS)
