"""Publishing learners' activity events into the stream from the WebSocket consumers.

Every socket of a web process shares one publisher per event loop: events that arrive while a
write is in flight are written together by the next one (one XADD pipeline), so a thousand
events a second cost a few hundred round trips, not a thousand thread hops. Writes to Redis run
on a private thread, never on the thread that `database_sync_to_async` shares with the ORM;
the in-process stream (embedded) is appended to on the loop itself.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from studymate_api.streaming import InMemoryStreamBackend, get_stream_processor

from .streams import activity_stream_for

_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="realtime-publish")


class ActivityPublisher:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._pending: list[tuple[dict[str, Any], asyncio.Future[None]]] = []
        self._flushing = False

    async def publish(self, event: Mapping[str, Any]) -> None:
        """Returns once the event is in the stream; raises what the write raised
        (StreamUnavailable when Redis is down)."""
        done: asyncio.Future[None] = self._loop.create_future()
        self._pending.append((dict(event), done))
        if not self._flushing:
            self._flushing = True
            self._loop.create_task(self._flush())
        await done

    async def _flush(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                await self._write(batch)
        finally:
            self._flushing = False

    async def _write(self, batch: list[tuple[dict[str, Any], asyncio.Future[None]]]) -> None:
        # Each event to its learner's partition, all in one round trip.
        routed = [(activity_stream_for(event["user_id"]), event) for event, _done in batch]
        processor = get_stream_processor()
        try:
            if isinstance(processor.backend, InMemoryStreamBackend):
                # No I/O to wait for (embedded): a thread hop would cost more than the append.
                processor.publish_routed(routed)
            else:
                await self._loop.run_in_executor(_executor, processor.publish_routed, routed)
        except Exception as error:
            for _event, done in batch:
                if not done.done():
                    done.set_exception(error)
            return
        for _event, done in batch:
            if not done.done():
                done.set_result(None)


_publishers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ActivityPublisher] = (
    weakref.WeakKeyDictionary()
)


def activity_publisher() -> ActivityPublisher:
    """The publisher of the running event loop."""
    loop = asyncio.get_running_loop()
    publisher = _publishers.get(loop)
    if publisher is None:
        publisher = _publishers[loop] = ActivityPublisher(loop)
    return publisher
