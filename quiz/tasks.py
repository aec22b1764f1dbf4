"""Background work of the quiz domain."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="quiz.grade_essay", acks_late=True, soft_time_limit=120, time_limit=150)
def grade_essay(answer_id: int) -> str:
    """Idempotent: a re-delivered message finds the answer graded and does nothing."""
    answer = services.essay_grade(answer_id=answer_id)
    return "skipped" if answer is None else answer.status
