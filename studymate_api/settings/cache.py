"""Cache: local memory when embedded, django-redis when REDIS_URL is set.

Both through subclasses that count gets, hits and misses for /metrics/ and behave otherwise
exactly like the backend they wrap."""

from __future__ import annotations

from typing import Any

from .environment import read_redis_url

REDIS_URL = read_redis_url()

CACHES: dict[str, dict[str, Any]]
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_prometheus.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "studymate",
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 2,
                "SOCKET_TIMEOUT": 2,
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "studymate_api.metrics.cache_backends.LocMemCache",
            "LOCATION": "studymate",
            # Django's default of 300 entries is too small once tag versions live beside values.
            "OPTIONS": {"MAX_ENTRIES": 10_000},
        }
    }
