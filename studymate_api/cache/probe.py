"""Operator views of the configured cache backend: a health round trip and a short description.

Unlike TaggedCache these calls are not guarded: an operator asking "does the cache work?" wants
the failure, not a silent miss.
"""

from __future__ import annotations

import dataclasses
import secrets
import time
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache

from .guard import BACKEND_ERRORS


@dataclasses.dataclass(frozen=True)
class HealthReport:
    backend: str
    milliseconds: float
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def check_health(backend: BaseCache | None = None) -> HealthReport:
    """Write, read back and delete a random key on the backend."""
    cache = backend if backend is not None else caches[settings.CACHE_ALIAS]
    started = time.perf_counter()
    try:
        problem = _round_trip(cache, f"~health:{secrets.token_hex(8)}", secrets.token_hex(8))
    except Exception as error:  # each backend raises its own errors; all of them mean unhealthy
        problem = f"{type(error).__name__}: {error}"
    milliseconds = (time.perf_counter() - started) * 1000
    return HealthReport(_backend_name(cache), milliseconds, problem)


def describe_backend(backend: BaseCache | None = None) -> dict[str, str]:
    """The backend class and, on Redis, the server's own view (shared by every process)."""
    cache = backend if backend is not None else caches[settings.CACHE_ALIAS]
    return {"backend": _backend_name(cache), **_redis_details(cache)}


def _round_trip(cache: BaseCache, key: str, token: str) -> str | None:
    cache.set(key, token, timeout=30)
    if cache.get(key) != token:
        return "a value written could not be read back"
    cache.delete(key)
    if cache.get(key) is not None:
        return "a deleted value could still be read"
    return None


def _backend_name(cache: BaseCache) -> str:
    return f"{type(cache).__module__}.{type(cache).__qualname__}"


def _redis_details(cache: BaseCache) -> dict[str, str]:
    # django-redis ships no type information, so its client is reached by duck typing.
    get_client = getattr(getattr(cache, "client", None), "get_client", None)
    if get_client is None:
        return {}
    try:
        client: Any = get_client(write=False)
        info: dict[str, Any] = client.info()
        keys = client.dbsize()
    except BACKEND_ERRORS as error:
        return {"redis": f"unreachable ({type(error).__name__})"}
    return {
        "redis_version": str(info.get("redis_version")),
        "redis_used_memory": str(info.get("used_memory_human")),
        "redis_keys_in_db": str(keys),
        "redis_keyspace_hits": str(info.get("keyspace_hits")),
        "redis_keyspace_misses": str(info.get("keyspace_misses")),
    }
