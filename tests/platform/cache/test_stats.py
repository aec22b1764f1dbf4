"""Statistics per namespace, in process and as Prometheus metrics."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from studymate_api.cache import TaggedCache, cache_stats, namespace_stats


def _sample(name: str, namespace: str) -> float:
    return REGISTRY.get_sample_value(name, {"namespace": namespace}) or 0.0


def test_reads_writes_and_invalidations_are_counted(namespace):
    cache = TaggedCache(namespace)
    key = cache.key(n=1)

    cache.get(key)  # miss
    cache.get_or_set(key, lambda: "v", tags=["t"])  # miss, recompute, set
    cache.get_or_set(key, lambda: "unused", tags=["t"])  # hit
    cache.get(key)  # hit
    cache.invalidate_tags("t", "u")

    stats = namespace_stats(namespace)
    assert (stats.hits, stats.misses, stats.sets) == (2, 2, 1)
    assert stats.invalidations == 2
    assert stats.recomputes == 1
    assert stats.recompute_seconds > 0
    assert stats.hit_ratio == pytest.approx(0.5)
    assert stats.errors == 0
    assert cache_stats()[namespace] == stats


def test_an_unread_namespace_has_no_ratio(namespace):
    assert namespace_stats(namespace).hit_ratio is None


def test_counters_are_exported_to_prometheus(namespace):
    cache = TaggedCache(namespace)
    key = cache.key(n=1)
    cache.get_or_set(key, lambda: "v")
    cache.get_or_set(key, lambda: "v")
    cache.get_or_set(key, lambda: "v")

    assert _sample("studymate_cache_hits_total", namespace) == 2
    assert _sample("studymate_cache_misses_total", namespace) == 1
    assert _sample("studymate_cache_sets_total", namespace) == 1
    assert _sample("studymate_cache_recompute_seconds_count", namespace) == 1
    assert _sample("studymate_cache_hit_ratio", namespace) == pytest.approx(2 / 3)
