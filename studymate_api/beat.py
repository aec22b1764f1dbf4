"""Celery beat's scheduler: the file-backed one, touching beat's heartbeat on every tick.

Named by CELERY_BEAT_SCHEDULER, so only the beat process imports it (and `celery.beat`).
"""

from __future__ import annotations

from typing import Any

from celery.beat import PersistentScheduler

from studymate_api.heartbeat import process_heartbeat


class HeartbeatScheduler(PersistentScheduler):
    """Beat's loop calls `tick` each time it wakes (at least every CELERY_BEAT_MAX_LOOP_INTERVAL
    seconds); a beat stuck in sending a task or syncing its schedule stops touching the file."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.heartbeat = process_heartbeat("beat")

    def tick(self, *args: Any, **kwargs: Any) -> float:
        self.heartbeat.beat()
        return float(super().tick(*args, **kwargs))
