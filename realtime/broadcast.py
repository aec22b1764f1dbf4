"""Sending events to WebSocket clients through the channel layer — the one way to do it.

Every socket a consumer (`realtime.consumers.base.JsonConsumer`) has open joins groups; an event
sent to a group reaches every socket in it, in any server process (channels-redis when REDIS_URL
is set). Events are JSON objects with a `type`, delivered to the client as they are.

- `broadcast_on_commit(group, event)`: from services (sync code, maybe inside a transaction).
  The send waits for the commit, so nobody hears about a change that was rolled back
  (ARCHITECTURE: "WebSocket broadcasts go through one helper that defers to commit").
- `LoopSender`: for hot paths outside any request (the stream consumer of the learning
  analyzer): owns or borrows one event loop and sends many events in one go.
- `credentials_recheck_on_commit(user_id)`: not an event for the client but an order to every
  open socket of the user, on every route (`user_sockets_group`): re-check your own credentials
  and close if they no longer hold (`JsonConsumer.realtime_credentials`).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterable, Mapping
from typing import Any, Final

import structlog
from asgiref.sync import async_to_sync
from channels.layers import BaseChannelLayer, get_channel_layer
from django.db import transaction

logger = structlog.get_logger(__name__)

# The handler names consumers implement (`JsonConsumer.realtime_event`, `.realtime_credentials`).
EVENT_MESSAGE_TYPE: Final = "realtime.event"
CREDENTIALS_MESSAGE_TYPE: Final = "realtime.credentials"
_SEND_TIMEOUT_SECONDS = 5.0

Event = Mapping[str, Any]


def learner_group(user_id: int) -> str:
    """Every open socket of one learner (all their tabs) on the learning analytics route."""
    return f"learner.{user_id}"


def user_sockets_group(user_id: int) -> str:
    """Every open socket of one user on every route: where their credentials are re-checked."""
    return f"user.{user_id}"


def layer_message(event: Event) -> dict[str, Any]:
    """The channel layer envelope of a client event."""
    return {"type": EVENT_MESSAGE_TYPE, "event": dict(event)}


def broadcast_on_commit(group: str, event: Event) -> None:
    """Send `event` to every socket in `group` once the current transaction commits (at once
    when there is none). Never raises: a failed send is logged, the change stays committed."""
    message = layer_message(event)
    transaction.on_commit(lambda: _send_now(group, message))


def credentials_recheck_on_commit(user_id: int) -> None:
    """Every open socket of the user re-checks its credentials once the current transaction
    commits (at once when there is none). Never raises, like `broadcast_on_commit`."""
    group = user_sockets_group(user_id)
    transaction.on_commit(lambda: _send_now(group, {"type": CREDENTIALS_MESSAGE_TYPE}))


def _send_now(group: str, message: dict[str, Any]) -> None:
    layer = _layer()
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:
        kind = message["event"].get("type") if "event" in message else message["type"]
        logger.exception("realtime_broadcast_failed", group=group, type=kind)


def _layer() -> BaseChannelLayer:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("CHANNEL_LAYERS has no default layer")
    return layer


class LoopSender:
    """Sends batches of group events from sync code on one event loop.

    Without `loop`, it runs its own loop in a daemon thread (the `stream` process: one Redis
    connection pool for its lifetime instead of one per call). With `loop`, it schedules onto
    that loop — needed for the in-memory channel layer, whose queues belong to the web
    process's loop.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        if loop is None:
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="realtime-sender", daemon=True)
            thread.start()
            self._owns_loop = True
        else:
            self._owns_loop = False
        self._loop = loop

    def use_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """Send on `loop` from now on (a borrowed loop only)."""
        if not self._owns_loop:
            self._loop = loop

    def send_many(self, deliveries: Iterable[tuple[str, Event]]) -> int:
        """Send each (group, event); waits until the layer took them all. Returns how many
        failed (logged), so one bad group does not stop the others."""
        messages = [(group, layer_message(event)) for group, event in deliveries]
        if not messages:
            return 0
        if not self._loop.is_running():  # a borrowed loop that has stopped (its server did)
            return len(messages)
        future = asyncio.run_coroutine_threadsafe(self._send_all(messages), self._loop)
        try:
            return future.result(timeout=_SEND_TIMEOUT_SECONDS)
        except TimeoutError:
            future.cancel()
            logger.warning("realtime_send_timed_out", messages=len(messages))
            return len(messages)

    async def _send_all(self, messages: list[tuple[str, dict[str, Any]]]) -> int:
        layer = _layer()  # looked up each time: tests replace the layers between loops
        if _is_redis_pubsub(layer):
            return await _publish_pipelined(layer, messages)
        sends: list[Coroutine[Any, Any, None]] = [
            layer.group_send(group, message) for group, message in messages
        ]
        results = await asyncio.gather(*sends, return_exceptions=True)
        failed = [result for result in results if isinstance(result, BaseException)]
        for error in failed[:5]:
            logger.warning("realtime_send_failed", error=repr(error))
        return len(failed)

    def close(self) -> None:
        if self._owns_loop:
            self._loop.call_soon_threadsafe(self._loop.stop)


def _is_redis_pubsub(layer: BaseChannelLayer) -> bool:
    return type(layer).__name__ == "RedisPubSubChannelLayer" and hasattr(layer, "_get_layer")


async def _publish_pipelined(layer: Any, messages: list[tuple[str, dict[str, Any]]]) -> int:
    """`group_send` of many messages in one round trip per Redis shard.

    channels-redis' pub/sub layer publishes one message per round trip under a per-shard lock,
    which caps the analyzer's sends at a few thousand a second on an idle machine and far less
    on a busy one. This does what its `group_send` does — PUBLISH the serialized message on the
    group's channel, on the shard that owns it, under the shard's lock — for a whole batch in
    one pipeline. It relies on channels-redis 4.x internals (`_get_layer`,
    `_get_group_channel_name`, `_get_shard`, the shard's `_lock`/`_ensure_redis`/`_redis`);
    when they are not there it falls back to one `group_send` per message.
    """
    loop_layer = layer._get_layer()
    try:
        by_shard: dict[Any, list[tuple[str, bytes]]] = {}
        for group, message in messages:
            channel = loop_layer._get_group_channel_name(group)
            by_shard.setdefault(loop_layer._get_shard(channel), []).append(
                (channel, layer.serialize(message))
            )
    except AttributeError:
        logger.warning("realtime_pubsub_internals_changed")
        results = await asyncio.gather(
            *(layer.group_send(group, message) for group, message in messages),
            return_exceptions=True,
        )
        return sum(isinstance(result, BaseException) for result in results)
    failed = 0
    for shard, publishes in by_shard.items():
        try:
            async with shard._lock:
                shard._ensure_redis()
                pipe = shard._redis.pipeline(transaction=False)
                for channel, data in publishes:
                    pipe.publish(channel, data)
                await pipe.execute()
        except Exception as error:
            logger.warning("realtime_send_failed", error=repr(error), messages=len(publishes))
            failed += len(publishes)
    return failed
