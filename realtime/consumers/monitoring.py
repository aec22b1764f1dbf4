"""`/ws/system/monitoring/`: staff only (others are closed with 4403); a `system` snapshot
(`realtime.monitoring`) at once and then every REALTIME_MONITORING_INTERVAL_SECONDS.

The server speaks, the client only listens: any message it sends gets an `unknown_type` error.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

import structlog
from channels.db import database_sync_to_async
from django.conf import settings

from .. import monitoring
from .base import JsonConsumer

logger = structlog.get_logger(__name__)


class MonitoringConsumer(JsonConsumer):
    route = "monitoring"
    staff_only = True
    message_types: ClassVar[frozenset[str]] = frozenset()

    _loop_task: asyncio.Task[None] | None = None

    async def on_connected(self) -> None:
        self._previous = monitoring.PROCESS_START_SAMPLE
        await self._send_snapshot()
        self._loop_task = asyncio.create_task(self._every_interval())

    async def on_disconnected(self, code: int) -> None:
        if self._loop_task is not None:
            self._loop_task.cancel()

    async def _every_interval(self) -> None:
        while True:
            await asyncio.sleep(settings.REALTIME_MONITORING_INTERVAL_SECONDS)
            try:
                await self._send_snapshot()
            except Exception:  # one failed reading must not end the feed
                logger.warning("monitoring_snapshot_failed", exc_info=True)

    async def _send_snapshot(self) -> None:
        # Readings are blocking I/O (database, Redis, registry files): off the event loop, in
        # the database thread so its connection is managed like any consumer's.
        inputs = await database_sync_to_async(monitoring.collect_inputs)()
        await self.send_json(monitoring.build_snapshot(inputs, self._previous))
        self._previous = inputs.http
