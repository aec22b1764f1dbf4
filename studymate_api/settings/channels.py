"""Channels: the in-memory layer when embedded, channels-redis when REDIS_URL is set.

CHANNEL_LAYER picks the Redis layer: `pubsub` (RedisPubSubChannelLayer, the default) or `list`
(RedisChannelLayer). `bench/ws_bench.py rooms` measured both for one room served by two daphne
processes on the 2-core machine (p99 from send to delivery over two runs, 0 lost in each):

    members  deliveries/s   pubsub p99      list p99        (target)
    100      2,000          19-32 ms        53-97 ms        (50 ms)
    1,000    5,000          138-201 ms      162-338 ms      (300 ms)

Pub/sub hands a group message to each process once, over a connection that is already
listening; the list layer reads every group member from a sorted set and each process pops its
messages from Redis one request at a time.
"""

from __future__ import annotations

from typing import Any

from redis import ConnectionPool

from .cache import REDIS_URL
from .environment import read_bool, read_choice, read_int, read_rate

ASGI_APPLICATION = "studymate_api.asgi.application"

CHANNEL_LAYER = read_choice("CHANNEL_LAYER", default="pubsub", choices=("pubsub", "list"))
_LAYER_BACKENDS = {
    "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
    "list": "channels_redis.core.RedisChannelLayer",
}
_LAYER_OPTIONS: dict[str, dict[str, Any]] = {
    "pubsub": {},
    # Each process's queue in Redis holds at most this many messages before sends are dropped;
    # a burst into a busy room must not lose any.
    "list": {"capacity": 1_000, "expiry": 30},
}


def _redis_database(url: str) -> int:
    """The database number as redis-py reads it from the URL (path or `?db=`; 0 if neither)."""
    return int(ConnectionPool.from_url(url).connection_kwargs.get("db") or 0)


CHANNEL_LAYERS: dict[str, dict[str, Any]]
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": _LAYER_BACKENDS[CHANNEL_LAYER],
            "CONFIG": {
                "hosts": [REDIS_URL],
                # Redis pub/sub channels belong to the server, not to a database: with the
                # database number in the prefix, deployments (or parallel test workers) on other
                # databases of the same server do not hear each other's groups (`room_1`).
                "prefix": f"studymate.db{_redis_database(REDIS_URL)}",
                **_LAYER_OPTIONS[CHANNEL_LAYER],
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Realtime consumers (realtime.consumers.base): per-connection limits, and the learning sessions.
REALTIME_WS_MAX_MESSAGE_BYTES = read_int(
    "REALTIME_WS_MAX_MESSAGE_BYTES", default=16_384, minimum=256
)
REALTIME_WS_RATE_PER_SECOND = read_int("REALTIME_WS_RATE_PER_SECOND", default=20, minimum=1)
REALTIME_WS_BURST = read_int("REALTIME_WS_BURST", default=40, minimum=1)
# A live learning session without activity for this long is ended by the sweep (30 minutes).
REALTIME_SESSION_IDLE_SECONDS = read_int("REALTIME_SESSION_IDLE_SECONDS", default=1800, minimum=1)
# Run the learning analyzer inside the web process (the only choice when embedded: the
# in-process stream and channel layer are per process); with Redis, the `stream` process runs it
# (turn this on with Redis only for a single web process: one analyzer consumer at a time).
REALTIME_ANALYZER_IN_PROCESS = read_bool("REALTIME_ANALYZER_IN_PROCESS", default=not REDIS_URL)
# How often the analyzer refreshes the metrics of a session that sends nothing (idle learners).
REALTIME_ANALYZER_TICK_SECONDS = read_int("REALTIME_ANALYZER_TICK_SECONDS", default=10, minimum=1)

# Study rooms (realtime.consumers.rooms): chat limits per learner and room across their tabs,
# presence heartbeats and the grace period that hides a reconnect, the monitoring snapshot.
REALTIME_ROOM_CHAT_RATE = read_rate("REALTIME_ROOM_CHAT_RATE", default="20/min")
REALTIME_PRESENCE_TTL_SECONDS = read_int("REALTIME_PRESENCE_TTL_SECONDS", default=30, minimum=3)
REALTIME_PRESENCE_GRACE_SECONDS = read_int("REALTIME_PRESENCE_GRACE_SECONDS", default=5, minimum=0)
REALTIME_MONITORING_INTERVAL_SECONDS = read_int(
    "REALTIME_MONITORING_INTERVAL_SECONDS", default=5, minimum=1
)
