"""Background work of the personalization domain."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(
    name="personalization.record_learning_session",
    acks_late=True,
    soft_time_limit=30,
    time_limit=60,
)
def record_learning_session(
    user_id: int,
    session_id: str,
    subject_id: int | None,
    started_at: str,
    duration_minutes: float,
    focus_score: float,
    content_type: str | None = None,
) -> str:
    """Idempotent per session id: a re-delivered message finds the session claimed."""
    applied = services.learning_session_record_by_ids(
        user_id=user_id,
        session_id=session_id,
        subject_id=subject_id,
        started_at=started_at,
        duration_minutes=duration_minutes,
        focus_score=focus_score,
        content_type=content_type,
    )
    return "updated" if applied else "skipped"
