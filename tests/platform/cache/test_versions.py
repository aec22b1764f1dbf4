"""`TaggedCache.versions`: the tokens an ETag is built from (`studymate_api.core.conditional`)."""

from __future__ import annotations

import pytest

from studymate_api.cache import TaggedCache, clear_all, invalidate_tags
from studymate_api.cache.keys import tag_version_key


def test_versions_change_exactly_when_a_value_would_be_invalidated(namespace):
    cache = TaggedCache(namespace)
    first = cache.versions(["user:1", "subjects"])
    assert first is not None
    assert tag_version_key("user:1") in first
    assert cache.versions(["subjects", "user:1"]) == first  # stable, whatever the order

    invalidate_tags("user:2")
    assert cache.versions(["user:1", "subjects"]) == first
    invalidate_tags("subjects")
    after_tag = cache.versions(["user:1", "subjects"])
    assert after_tag != first

    assert cache.clear()
    after_clear = cache.versions(["user:1", "subjects"])
    assert after_clear not in (first, after_tag)
    assert clear_all()
    assert cache.versions(["user:1", "subjects"]) not in (first, after_tag, after_clear)


def test_a_value_cached_under_the_same_tags_sees_the_same_versions(namespace):
    """The ETag and the cached body must move together: versions() creates tokens the way a
    write does, and a value stored afterwards is a hit under them."""
    cache = TaggedCache(namespace)
    versions = cache.versions(["user:7"])
    key = cache.key("page", user=7)
    assert cache.get_or_set(key, lambda: "body", tags=["user:7"]) == "body"
    assert cache.get_or_set(key, lambda: "recomputed", tags=["user:7"]) == "body"
    assert cache.versions(["user:7"]) == versions


def test_a_lost_token_comes_back_as_a_new_one(namespace, second_client):
    cache = TaggedCache(namespace)
    before = cache.versions(["user:3"])
    assert before is not None
    second_client.delete(tag_version_key("user:3"))
    again = cache.versions(["user:3"])
    assert again is not None
    assert again[tag_version_key("user:3")] != before[tag_version_key("user:3")]
    assert cache.versions(["user:3"]) == again


@pytest.mark.e2e  # a private redis-server, stopped mid-test
def test_versions_are_none_when_the_backend_fails(private_redis, namespace):
    cache = TaggedCache(namespace, backend=private_redis.backend())
    assert cache.versions(["user:1"]) is not None
    private_redis.stop()
    assert cache.versions(["user:1"]) is None
