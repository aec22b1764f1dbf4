"""Redis going away mid-flight: every operation degrades, nothing raises, failures are counted."""

from __future__ import annotations

import logging

import pytest
from prometheus_client import REGISTRY

from studymate_api.cache import TaggedCache, check_health, namespace_stats

# Every test here kills a redis-server of its own (the private_redis fixture).
pytestmark = pytest.mark.e2e


def _error_metric(namespace: str) -> float:
    value = REGISTRY.get_sample_value("studymate_cache_errors_total", {"namespace": namespace})
    return value or 0.0


def test_get_or_set_answers_from_the_source_when_redis_dies(private_redis, namespace):
    cache = TaggedCache(namespace, backend=private_redis.backend())
    key = cache.key(user_id=1)
    assert cache.get_or_set(key, lambda: "cached", tags=["user:1"]) == "cached"
    assert cache.get_or_set(key, lambda: "not used", tags=["user:1"]) == "cached"
    assert namespace_stats(namespace).errors == 0

    private_redis.stop()

    assert cache.get_or_set(key, lambda: "from the database", tags=["user:1"]) == (
        "from the database"
    )
    stats = namespace_stats(namespace)
    assert stats.errors >= 1
    assert stats.misses == 2
    assert _error_metric(namespace) == stats.errors


def test_every_operation_degrades_without_raising(private_redis, namespace):
    cache = TaggedCache(namespace, backend=private_redis.backend())
    key = cache.key(user_id=1)
    cache.set(key, "cached", tags=["user:1"])
    private_redis.stop()

    assert cache.get(key, default="miss") == "miss"
    cache.set(key, "ignored", tags=["user:1"])
    cache.delete(key)
    assert cache.invalidate_tags("user:1") is False
    assert cache.clear() is False
    assert namespace_stats(namespace).errors >= 5


def test_failures_are_logged_with_the_namespace(private_redis, namespace, caplog):
    cache = TaggedCache(namespace, backend=private_redis.backend())
    private_redis.stop()

    with caplog.at_level(logging.WARNING, logger="studymate_api.cache.guard"):
        cache.get(cache.key(user_id=1))

    messages = [str(record.msg) for record in caplog.records]
    assert any("cache_backend_error" in message and namespace in message for message in messages)


def test_health_reports_a_dead_backend(private_redis):
    backend = private_redis.backend()
    assert check_health(backend).ok
    private_redis.stop()
    report = check_health(backend)
    assert not report.ok
    assert "ConnectionError" in (report.problem or "")
