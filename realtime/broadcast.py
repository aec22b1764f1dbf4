"""Sending events to WebSocket clients through the channel layer — the one way to do it.

Every socket a consumer (`realtime.consumers.base.JsonConsumer`) has open joins groups; an event
sent to a group reaches every socket in it, in any server process (channels-redis when REDIS_URL
is set). Events are JSON objects with a `type`, delivered to the client as they are.

- `broadcast_on_commit(group, event)`: from services (sync code, maybe inside a transaction).
  The send waits for the commit, so nobody hears about a change that was rolled back
  (ARCHITECTURE: "WebSocket broadcasts go through one helper that defers to commit").
- `send_now(group, message)`: a layer message at once, raising what the layer raised (pushes
  that the caller retries: `realtime.services.push`).
- `LoopSender`: for hot paths outside any request (the stream consumer of the learning
  analyzer): owns or borrows one event loop and sends many events in one go.
- `credentials_recheck_on_commit(user_id)`: not an event for the client but an order to every
  open socket of the user, on every route (`user_sockets_group`): re-check your own credentials
  and close if they no longer hold (`JsonConsumer.realtime_credentials`).

Sync code outside any event loop (granian's threads, Celery's workers, the stream process)
sends through one sender per process (`process_sender`), where asgiref's `async_to_sync` would
start a thread, an event loop and (channels-redis) a new Redis connection for every send. On
channels-redis' pub/sub layer (the default with Redis) a sender PUBLISHes from the calling
thread on a plain Redis client (`DirectPubSub`); on other Redis layers it sends on its own loop.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Coroutine, Iterable, Mapping
from typing import Any, Final

import redis
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
    try:
        send_now(group, message)
    except Exception:
        kind = message["event"].get("type") if "event" in message else message["type"]
        logger.exception("realtime_broadcast_failed", group=group, type=kind)


def send_now(group: str, message: dict[str, Any]) -> None:
    """Send one layer message to `group` from sync code, now; raises what the layer raised
    (TimeoutError after a few seconds).

    channels-redis layers serve any number of loops, so the send goes through this process's
    sender (a direct PUBLISH on the pub/sub layer). Any other layer (the in-memory one,
    embedded) keeps `async_to_sync`: called
    from a `sync_to_async` thread it runs on the server's loop, which owns the in-memory queues
    the sockets wait on; another loop's put would not wake them."""
    layer = _layer()
    if _serves_any_loop(layer):
        process_sender().send_one(group, message)
    else:
        async_to_sync(layer.group_send)(group, message)


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
    process's loop. On channels-redis' pub/sub layer neither: `DirectPubSub` publishes from
    the calling thread.
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
        self._direct_lock = threading.Lock()
        self._direct_layer: BaseChannelLayer | None = None
        self._direct: DirectPubSub | None = None

    def use_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """Send on `loop` from now on (a borrowed loop only)."""
        if not self._owns_loop:
            self._loop = loop

    def send_one(self, group: str, message: dict[str, Any]) -> None:
        """Send one layer message and wait for it; raises what the layer raised, or
        TimeoutError."""
        direct = self._direct_publisher()
        if direct is not None:
            direct.publish([(group, message)], raise_errors=True)
            return
        if not self._loop.is_running():
            raise RuntimeError("the sender's loop is not running")
        future = asyncio.run_coroutine_threadsafe(_layer().group_send(group, message), self._loop)
        try:
            future.result(timeout=_SEND_TIMEOUT_SECONDS)
        except TimeoutError:
            future.cancel()
            raise

    def send_many(self, deliveries: Iterable[tuple[str, Event]]) -> int:
        """Send each (group, event); waits until the layer took them all. Returns how many
        failed (logged), so one bad group does not stop the others."""
        messages = [(group, layer_message(event)) for group, event in deliveries]
        if not messages:
            return 0
        direct = self._direct_publisher()
        if direct is not None:
            return direct.publish(messages)
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

    def _direct_publisher(self) -> DirectPubSub | None:
        """The direct publisher of the current layer, when it is channels-redis' pub/sub
        (looked up each time: tests replace the layers)."""
        layer = _layer()
        with self._direct_lock:
            if self._direct_layer is not layer:
                if self._direct is not None:
                    self._direct.close()
                self._direct_layer, self._direct = layer, DirectPubSub.for_layer(layer)
            return self._direct

    def close(self) -> None:
        if self._owns_loop:
            self._loop.call_soon_threadsafe(self._loop.stop)
        with self._direct_lock:
            if self._direct is not None:
                self._direct.close()
            self._direct_layer, self._direct = None, None


class DirectPubSub:
    """`group_send` on channels-redis' pub/sub layer from sync code, with no event loop.

    What the layer's `group_send` does — PUBLISH the serialized message on the group's channel
    on the shard that owns it — from the calling thread on a plain Redis client, one pipeline
    per shard. A send through a loop costs a hop to the loop's thread and the asyncio client on
    top of the PUBLISH: about a quarter of the analyzer's CPU per event at a few events a
    second (`bench/stream_bench.py --activity`).

    Channel names and shards come from a loop layer of channels-redis built for the purpose
    (`RedisPubSubLoopLayer`: `_get_group_channel_name`, `_get_shard`, each shard's `host`), so
    they match what subscribers listen on; these are internals, like `_publish_pipelined`'s.
    A layer they do not fit (another version, Sentinel hosts) keeps the loop path.
    """

    def __init__(self, layer: Any) -> None:
        from channels_redis.pubsub import RedisPubSubLoopLayer

        self._layer = layer
        self._names = RedisPubSubLoopLayer(*layer._args, **layer._kwargs, channel_layer=layer)
        self._clients: dict[int, redis.Redis] = {}
        for shard in self._names._shards:
            host = dict(shard.host)
            address = host.pop("address")  # KeyError: Sentinel or keyword hosts
            host.setdefault("socket_connect_timeout", 2)
            host.setdefault("socket_timeout", _SEND_TIMEOUT_SECONDS)
            self._clients[id(shard)] = redis.Redis.from_url(address, **host)

    @classmethod
    def for_layer(cls, layer: BaseChannelLayer) -> DirectPubSub | None:
        if not _is_redis_pubsub(layer):
            return None
        try:
            return cls(layer)
        except (AttributeError, KeyError, TypeError, ImportError):
            logger.warning("realtime_direct_publish_unavailable", exc_info=True)
            return None

    def publish(
        self, messages: Iterable[tuple[str, dict[str, Any]]], *, raise_errors: bool = False
    ) -> int:
        """PUBLISH each (group, layer message); returns how many failed (logged), or raises
        the first failure with `raise_errors`."""
        by_shard: dict[int, list[tuple[str, bytes]]] = {}
        for group, message in messages:
            channel = self._names._get_group_channel_name(group)
            shard = id(self._names._get_shard(channel))
            by_shard.setdefault(shard, []).append((channel, self._layer.serialize(message)))
        failed = 0
        for shard, publishes in by_shard.items():
            pipe = self._clients[shard].pipeline(transaction=False)
            for channel, data in publishes:
                pipe.publish(channel, data)
            try:
                pipe.execute()
            except redis.RedisError as error:
                if raise_errors:
                    raise
                logger.warning("realtime_send_failed", error=repr(error), messages=len(publishes))
                failed += len(publishes)
        return failed

    def close(self) -> None:
        for client in self._clients.values():
            client.close()


_process_sender: LoopSender | None = None
_process_sender_lock = threading.Lock()


def process_sender() -> LoopSender:
    """This process's own sender loop, started on first use. A forked child (Celery's pool)
    starts its own: the parent's loop thread does not survive the fork."""
    global _process_sender
    with _process_sender_lock:
        if _process_sender is None:
            _process_sender = LoopSender()
        return _process_sender


def _forget_process_sender() -> None:
    global _process_sender, _process_sender_lock
    _process_sender = None
    _process_sender_lock = threading.Lock()  # a thread of the parent may have held it


os.register_at_fork(after_in_child=_forget_process_sender)


def _serves_any_loop(layer: BaseChannelLayer) -> bool:
    """channels-redis layers keep one connection set per event loop, so any loop may send."""
    return type(layer).__module__.startswith("channels_redis.")


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
