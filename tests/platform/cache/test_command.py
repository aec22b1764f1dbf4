"""`manage.py cache_management`: each flag does what it says on the configured backend."""

from __future__ import annotations

import functools
import io
import socket
from collections.abc import Iterator

import pytest
from django.core.management import CommandError, call_command

from studymate_api.cache import TaggedCache, register_warmer, unregister_warmer


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("cache_management", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def warmed_namespace(namespace) -> Iterator[str]:
    """A namespace with a registered warmer that stores two values."""
    cache = TaggedCache(namespace)

    def warm_two() -> int:
        for n in (1, 2):
            cache.get_or_set(
                cache.key(n=n), functools.partial(str.format, "value {}", n), tags=["warm"]
            )
        return 2

    register_warmer(namespace, warm_two)
    yield namespace
    unregister_warmer(namespace, warm_two)


@pytest.fixture
def failing_warmer(namespace) -> Iterator[str]:
    failing_namespace = f"{namespace}_fail"

    def broken() -> int:
        raise RuntimeError("database unreachable")

    register_warmer(failing_namespace, broken)
    yield failing_namespace
    unregister_warmer(failing_namespace, broken)


def test_health_round_trips_on_the_configured_backend():
    assert "cache ok" in _run("--health")


def test_health_fails_with_a_nonzero_exit_when_the_backend_is_down(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings.CACHES = {
        **settings.CACHES,
        "dead": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port}/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        },
    }
    settings.CACHE_ALIAS = "dead"

    with pytest.raises(CommandError, match="unhealthy"):
        _run("--health")


def test_warm_fills_one_namespace(warmed_namespace):
    output = _run("--warm", warmed_namespace)

    assert f"warm {warmed_namespace}" in output
    assert "2 entries" in output
    cache = TaggedCache(warmed_namespace)
    assert cache.get(cache.key(n=1)) == "value 1"


def test_warm_an_unknown_namespace_is_an_error():
    with pytest.raises(CommandError, match="no cache warmer"):
        _run("--warm", "nothing_here")


@pytest.mark.django_db
def test_warm_all_runs_every_warmer_and_reports_failures(warmed_namespace, failing_warmer):
    with pytest.raises(CommandError, match="1 of"):
        _run("--warm-all")

    cache = TaggedCache(warmed_namespace)
    assert cache.get(cache.key(n=2)) == "value 2"


def test_invalidate_tag(warmed_namespace):
    _run("--warm", warmed_namespace)
    cache = TaggedCache(warmed_namespace)
    cache.set(cache.key(n=3), "untagged")

    assert "invalidated tags: warm" in _run("--invalidate-tag", "warm")

    assert cache.get(cache.key(n=1)) is None
    assert cache.get(cache.key(n=3)) == "untagged"


def test_clear_makes_every_value_a_miss(warmed_namespace):
    _run("--warm", warmed_namespace)
    _run("--clear")
    cache = TaggedCache(warmed_namespace)
    assert cache.get(cache.key(n=1)) is None


def test_stats_prints_settings_and_counters(warmed_namespace):
    output = _run("--warm", warmed_namespace, "--stats")

    assert "backend: " in output
    assert "summaries: 86400 / 3600" in output
    assert f"{warmed_namespace}: hits=0 misses=2" in output


def test_no_flag_is_an_error():
    with pytest.raises(CommandError, match="nothing to do"):
        _run()
