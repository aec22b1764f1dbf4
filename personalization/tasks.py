"""Background work of the personalization domain."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(
    name="personalization.update_knowledge", acks_late=True, soft_time_limit=30, time_limit=60
)
def update_knowledge(answer_id: int) -> str:
    """Idempotent: a re-delivered message finds the answer processed and does nothing."""
    applied = services.knowledge_update_from_answer(answer_id=answer_id)
    return "updated" if applied else "skipped"
