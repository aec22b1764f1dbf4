"""Reading ahead: keys read in one round trip serve a request's TaggedCache reads, and only
until that request writes."""

from __future__ import annotations

from django.core.cache import caches
from django.core.cache.backends.base import BaseCache

from studymate_api.cache import TaggedCache
from studymate_api.cache.tagged import read_ahead, serving_read_ahead


def test_reads_are_served_from_the_read_ahead(namespace: str, second_client: BaseCache) -> None:
    cache = TaggedCache(namespace)
    key = cache.key("page")
    cache.set(key, "old", tags=["t"])
    ahead = read_ahead(cache.read_keys(key, tags=["t"]))
    assert ahead is not None
    # Another process invalidates the tag after the read-ahead: this request keeps the value
    # it read a moment earlier (no second round trip), the next request sees the change.
    TaggedCache(namespace, backend=second_client).invalidate_tags("t")
    with serving_read_ahead(ahead):
        assert cache.get(key, tags=["t"]) == "old"
        assert cache.versions(["t"]) == {
            name: ahead.found[name] for name in cache.read_keys(tags=["t"])
        }
    assert cache.get(key, tags=["t"]) is None


def test_a_write_ends_the_read_ahead(namespace: str, second_client: BaseCache) -> None:
    cache = TaggedCache(namespace)
    key, other = cache.key("page"), cache.key("other")
    cache.set(key, "old", tags=["t"])
    ahead = read_ahead(cache.read_keys(key, tags=["t"]))
    TaggedCache(namespace, backend=second_client).invalidate_tags("t")
    with serving_read_ahead(ahead):
        cache.set(other, "written", tags=["u"])
        assert cache.get(key, tags=["t"]) is None  # from the backend again


def test_keys_not_read_ahead_go_to_the_backend(namespace: str) -> None:
    cache = TaggedCache(namespace)
    key, other = cache.key("page"), cache.key("other")
    ahead = read_ahead(cache.read_keys(key))
    cache.set(other, "there")
    with serving_read_ahead(ahead):
        assert cache.get(other) == "there"
        assert cache.get(key) is None


def test_another_backend_is_not_served(namespace: str, second_client: BaseCache) -> None:
    default = caches["default"]
    cache = TaggedCache(namespace, backend=second_client)
    key = cache.key("page")
    ahead = read_ahead(cache.read_keys(key), backend=default)
    cache.set(key, "stored after the read-ahead")
    with serving_read_ahead(ahead):
        assert cache.get(key) == "stored after the read-ahead"
