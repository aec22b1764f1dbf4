"""Stale-while-revalidate and early refresh, on a manual clock."""

from __future__ import annotations

import threading
import time

import pytest

from studymate_api.cache import Freshness, SmartCacheStrategy, TaggedCache, namespace_stats


@pytest.fixture
def swr(namespace, clock):
    strategy = SmartCacheStrategy(ttl=10, stale_grace=30, early_refresh_beta=0, clock=clock)
    return TaggedCache(namespace, strategy=strategy)


def test_a_stale_value_is_served_while_one_caller_refreshes(swr, clock, namespace):
    key = swr.key(subject_id=1)
    swr.get_or_set(key, lambda: "v1")
    clock.advance(15)  # past the TTL, inside the grace window
    refreshing = threading.Event()
    finish = threading.Event()

    def slow_refresh() -> str:
        refreshing.set()
        finish.wait(5)
        return "v2"

    refresher_result = []
    refresher = threading.Thread(
        target=lambda: refresher_result.append(swr.get_or_set(key, slow_refresh))
    )
    refresher.start()
    assert refreshing.wait(5)

    others = [
        swr.get_or_set(key, lambda: pytest.fail("only one caller refreshes")) for _ in range(5)
    ]

    finish.set()
    refresher.join(5)
    assert others == ["v1"] * 5
    assert refresher_result == ["v2"]
    assert swr.get_or_set(key, lambda: pytest.fail("fresh again")) == "v2"
    assert namespace_stats(namespace).stale_hits == 6


def test_past_the_grace_window_the_value_is_recomputed(swr, clock):
    key = swr.key(subject_id=1)
    swr.get_or_set(key, lambda: "v1")
    clock.advance(45)
    assert swr.get_or_set(key, lambda: "v2") == "v2"


def test_get_alone_never_returns_a_stale_value(swr, clock):
    key = swr.key(subject_id=1)
    swr.get_or_set(key, lambda: "v1")
    clock.advance(15)
    assert swr.get(key) is None


def test_a_failed_refresh_serves_the_stale_value_and_caches_nothing(swr, clock):
    key = swr.key(subject_id=1)
    swr.get_or_set(key, lambda: "v1")
    clock.advance(15)

    def failing() -> str:
        raise RuntimeError("model provider down")

    assert swr.get_or_set(key, failing) == "v1"
    assert swr.get_or_set(key, lambda: "v2") == "v2"


def test_an_invalidated_value_is_never_served_stale(swr, clock):
    key = swr.key(subject_id=1)
    swr.get_or_set(key, lambda: "v1", tags=["subject:1"])
    clock.advance(15)
    swr.invalidate_tags("subject:1")
    assert swr.get_or_set(key, lambda: "v2", tags=["subject:1"]) == "v2"


def test_early_refresh_recomputes_before_expiry(namespace, clock):
    # A huge beta makes the draw all but certain, so the test is not flaky.
    strategy = SmartCacheStrategy(ttl=10, early_refresh_beta=1e9, clock=clock)
    cache = TaggedCache(namespace, strategy=strategy)
    key = cache.key(n=1)

    def slow_first_value() -> str:
        # The early-refresh window scales with the measured compute time; a compute of a few
        # microseconds would leave the draw a few percent chance of not refreshing.
        time.sleep(0.01)
        return "v1"

    cache.get_or_set(key, slow_first_value)

    assert cache.get_or_set(key, lambda: "v2") == "v2"
    assert namespace_stats(namespace).recomputes == 2


def test_judge_follows_the_timeline(clock):
    strategy = SmartCacheStrategy(ttl=10, stale_grace=5, early_refresh_beta=0, clock=clock)
    stored_until = clock.now + 10

    def judge():
        return strategy.judge(fresh_until=stored_until, compute_seconds=1)

    assert judge() is Freshness.FRESH
    clock.advance(10)
    assert judge() is Freshness.STALE
    clock.advance(5)
    assert judge() is Freshness.EXPIRED


def test_namespace_settings_decide_the_strategy(settings):
    settings.CACHE_NAMESPACE_TTLS = {"summaries": 123}
    settings.CACHE_NAMESPACE_STALE_GRACE = {"summaries": 45}
    strategy = SmartCacheStrategy.for_namespace("summaries")
    assert (strategy.ttl, strategy.stale_grace) == (123, 45)
    assert SmartCacheStrategy.for_namespace("other").ttl == settings.CACHE_DEFAULT_TTL


def test_a_ttl_must_be_positive():
    with pytest.raises(ValueError, match="TTL"):
        SmartCacheStrategy(ttl=0)
