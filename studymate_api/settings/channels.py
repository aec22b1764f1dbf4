"""Channels: the in-memory layer when embedded, Redis pub/sub when REDIS_URL is set."""

from __future__ import annotations

from typing import Any

from .cache import REDIS_URL

ASGI_APPLICATION = "studymate_api.asgi.application"

CHANNEL_LAYERS: dict[str, dict[str, Any]]
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": "studymate"},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
