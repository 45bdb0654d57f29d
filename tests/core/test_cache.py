"""core.cache: the one place that decides what a cache outage means."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import OperationalError, transaction
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


@pytest.mark.django_db
def test_storable_marker__the_one_read__else_a_new_one_added():
    assert cache_layer.storable_marker("m:read", {"m:read": "seen"}, 60) == "seen"
    added = cache_layer.storable_marker("m:new", {}, 60)
    assert added and cache.get("m:new") == added


@pytest.mark.django_db
def test_storable_marker__another_set_one_first__nothing_to_store_under():
    cache.set("m:raced", "theirs")

    assert cache_layer.storable_marker("m:raced", {}, 60) == ""
    assert cache.get("m:raced") == "theirs"


@pytest.mark.django_db
def test_replace_marker_on_commit__after_the_commit_only__the_callable_first(django_capture_on_commit_callbacks):
    cache.set("m:key", "old")
    seen = []
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        cache_layer.replace_marker_on_commit("m:key", 60, also=lambda: seen.append(cache.get("m:key")))
        assert cache.get("m:key") == "old"

    assert seen == ["old"]
    assert cache.get("m:key") not in (None, "old")


def test_view_prefetch_keys__user_id__on_the_request_for_the_hook():
    class View:
        def prefetch_cache_keys(self, kwargs, *, api_key):
            return [f"k:{kwargs['ns']}:{request.credential_user_id}:{api_key}"]

    class Request:
        parser_context = {"view": View(), "kwargs": {"ns": "n"}}

    request = Request()

    assert cache_layer.view_prefetch_keys(request, api_key=False, user_id="u1") == ["k:n:u1:False"]
