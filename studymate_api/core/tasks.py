"""Celery tasks of the shared platform."""

from __future__ import annotations

from celery import shared_task

from studymate_api.ai.accounting import ai_usage_purge

from .idempotency import idempotency_keys_purge


@shared_task(
    name="studymate_api.core.purge_idempotency_keys",
    ignore_result=True,
    soft_time_limit=100,
    time_limit=120,
)
def purge_idempotency_keys() -> int:
    """The retention of `IdempotencyKey` (IDEMPOTENCY_BEAT_SCHEDULE): bounded, and idempotent
    since it only deletes what is already expired."""
    return idempotency_keys_purge()


@shared_task(
    name="studymate_api.core.purge_ai_usage",
    ignore_result=True,
    soft_time_limit=100,
    time_limit=120,
)
def purge_ai_usage() -> int:
    """The retention of `AIUsage` (AI_BEAT_SCHEDULE): rows older than AI_USAGE_RETENTION_DAYS,
    bounded per run; safe to run twice."""
    return ai_usage_purge()
