"""A missing hot key is computed once, however many callers ask at the same moment."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from studymate_api.cache import SmartCacheStrategy, TaggedCache, namespace_stats

CALLERS = 16


class CountingCompute:
    """A slow computation that counts how often it runs."""

    def __init__(self, seconds: float = 0.3, value: object = "computed") -> None:
        self.seconds = seconds
        self.value = value
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self) -> object:
        with self._lock:
            self.calls += 1
        time.sleep(self.seconds)
        return self.value


def _ask_together(callers: int, ask):
    start = threading.Barrier(callers)

    def one_caller(_: int):
        start.wait()
        return ask()

    with ThreadPoolExecutor(max_workers=callers) as pool:
        return list(pool.map(one_caller, range(callers)))


def test_concurrent_misses_compute_once(namespace):
    cache = TaggedCache(namespace)
    compute = CountingCompute()

    results = _ask_together(
        CALLERS, lambda: cache.get_or_set(cache.key(hot=1), compute, tags=["hot"])
    )

    assert compute.calls == 1
    assert results == ["computed"] * CALLERS
    stats = namespace_stats(namespace)
    assert stats.misses == 1
    assert stats.hits == CALLERS - 1
    assert stats.recomputes == 1


def test_concurrent_misses_on_independent_clients_compute_once(namespace, second_client):
    clients = [TaggedCache(namespace), TaggedCache(namespace, backend=second_client)]
    compute = CountingCompute()
    turn = iter(range(CALLERS))
    turn_lock = threading.Lock()

    def ask():
        with turn_lock:
            client = clients[next(turn) % 2]
        return client.get_or_set(client.key(hot=1), compute)

    results = _ask_together(CALLERS, ask)

    assert compute.calls == 1
    assert set(results) == {"computed"}


def test_waiters_give_up_after_the_lock_wait(namespace):
    strategy = SmartCacheStrategy(ttl=60, lock_wait=0.05)
    cache = TaggedCache(namespace, strategy=strategy)
    compute = CountingCompute(seconds=0.5)

    results = _ask_together(3, lambda: cache.get_or_set(cache.key(slow=1), compute))

    # Nobody waits much longer than lock_wait for a slow holder: each answers on its own.
    assert compute.calls == 3
    assert results == ["computed"] * 3


def test_none_is_a_cached_value(namespace):
    cache = TaggedCache(namespace)
    compute = CountingCompute(seconds=0, value=None)
    assert cache.get_or_set(cache.key(n=1), compute) is None
    assert cache.get_or_set(cache.key(n=1), compute) is None
    assert compute.calls == 1


class Boom(Exception):
    pass


def test_errors_are_not_cached(namespace):
    cache = TaggedCache(namespace)
    key = cache.key(n=1)

    def failing() -> str:
        raise Boom

    with pytest.raises(Boom):
        cache.get_or_set(key, failing)

    started = time.monotonic()
    assert cache.get_or_set(key, lambda: "recovered") == "recovered"
    # The failed caller released its lock: the next one did not wait for it to expire.
    assert time.monotonic() - started < 1
    assert cache.get(key) == "recovered"


def test_when_the_computing_caller_fails_a_waiter_takes_over(namespace):
    cache = TaggedCache(namespace)
    key = cache.key(n=1)
    holder_started = threading.Event()
    attempts = []

    def compute() -> str:
        attempts.append(threading.get_ident())
        if len(attempts) == 1:
            holder_started.set()
            time.sleep(0.2)
            raise Boom
        return "second try"

    def holder():
        with pytest.raises(Boom):
            cache.get_or_set(key, compute)

    thread = threading.Thread(target=holder)
    thread.start()
    holder_started.wait(5)
    value = cache.get_or_set(key, compute)
    thread.join(5)

    assert value == "second try"
    assert len(attempts) == 2
    assert cache.get(key) == "second try"
