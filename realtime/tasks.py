"""Background work of the realtime domain."""

from __future__ import annotations

from celery import shared_task

from .services.sessions import learning_sessions_sweep


@shared_task(name="realtime.sweep_learning_sessions", soft_time_limit=50, time_limit=60)
def sweep_learning_sessions() -> dict[str, int]:
    """For the beat schedule, every minute: ends sessions idle for 30 minutes and sends clock
    ticks to the others. Idempotent: each session is claimed once by a conditional UPDATE."""
    result = learning_sessions_sweep()
    return {"ended": result.ended, "ticked": result.ticked}
