"""`manage.py cache_management`: each flag does what it says on the configured backend."""

from __future__ import annotations

import functools
import io
import socket

import pytest
from django.core.management import CommandError, call_command

from studymate_api.cache import TaggedCache


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("cache_management", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def filled_namespace(namespace) -> str:
    """A namespace holding two values tagged `filled`."""
    cache = TaggedCache(namespace)
    for n in (1, 2):
        cache.get_or_set(
            cache.key(n=n), functools.partial(str.format, "value {}", n), tags=["filled"]
        )
    return namespace


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


def test_warming_is_gone():
    # Nothing ever registered a warmer: the flags that ran them are not offered any more.
    with pytest.raises(CommandError, match="unrecognized arguments"):
        _run("--warm-all")


def test_invalidate_tag(filled_namespace):
    cache = TaggedCache(filled_namespace)
    cache.set(cache.key(n=3), "untagged")

    assert "invalidated tags: filled" in _run("--invalidate-tag", "filled")

    assert cache.get(cache.key(n=1)) is None
    assert cache.get(cache.key(n=3)) == "untagged"


def test_clear_makes_every_value_a_miss(filled_namespace):
    _run("--clear")
    cache = TaggedCache(filled_namespace)
    assert cache.get(cache.key(n=1)) is None


def test_stats_prints_settings_and_counters(filled_namespace):
    output = _run("--stats")

    assert "backend: " in output
    assert "recommendations: 900 / 600" in output
    assert f"{filled_namespace}: hits=0 misses=2" in output


def test_every_namespace_with_settings_is_one_the_code_uses(settings):
    # A TTL for a namespace nothing stores into is dead configuration.
    from personalization.caching import profile_cache
    from personalization.recommendations.engine import recommendations_cache
    from study.caching import progress_cache, subjects_cache

    used = {
        c.namespace for c in (subjects_cache, progress_cache, profile_cache, recommendations_cache)
    }
    assert set(settings.CACHE_NAMESPACE_TTLS) <= used
    assert set(settings.CACHE_NAMESPACE_STALE_GRACE) <= used


def test_no_flag_is_an_error():
    with pytest.raises(CommandError, match="nothing to do"):
        _run()
