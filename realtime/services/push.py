"""Pushing an event to one learner's open sockets at once, for other apps (notifications)."""

from __future__ import annotations

import redis
from channels.layers import get_channel_layer

from ..broadcast import Event, layer_message, learner_group, send_now


def learner_push(*, user_id: int, event: Event) -> str | None:
    """Sends `event` now (not on commit: the caller's row is already committed) to every socket
    of the learner; returns their group, or None when no channel layer is configured. Raises
    OSError or TimeoutError when the layer cannot be reached, for the caller to retry.
    From a Celery worker or a WSGI thread it goes out on the process's sender loop
    (`realtime.broadcast.send_now`): no thread, loop or Redis connection per push."""
    layer = get_channel_layer()
    if layer is None:
        return None
    group = learner_group(user_id)
    try:
        send_now(group, layer_message(event))
    except redis.RedisError as error:  # channels-redis: Redis is down or refused the command
        raise ConnectionError(f"Redis: {error}") from error
    return group
