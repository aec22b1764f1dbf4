"""Background work of the personalization domain."""

from __future__ import annotations

from celery import shared_task

from . import services
from .selectors.reviews import review_parameters_due
from .services.reviews import MIN_FIT_RATINGS, REFIT_EVERY

# Learners a sweep hands to fits, at most (the next sweep takes the rest).
FIT_SWEEP_BATCH = 200


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


@shared_task(
    name="personalization.fit_review_parameters",
    acks_late=True,
    soft_time_limit=270,
    time_limit=300,
)
def fit_review_parameters(user_id: int) -> str:
    """Fits one learner's FSRS parameters to their review log: seconds of CPU, so in a worker,
    never in a request. Idempotent (a claim, and a refit only once the log has grown)."""
    return services.review_parameters_fit(user_id=user_id)


@shared_task(
    name="personalization.fit_review_parameters_due",
    ignore_result=True,
    soft_time_limit=50,
    time_limit=60,
)
def fit_review_parameters_due() -> int:
    """The beat's sweep (CELERY_BEAT_SCHEDULE): a fit task for each learner whose log
    is long enough and has grown since their last fit, a bounded batch at a time."""
    user_ids = review_parameters_due(
        min_ratings=MIN_FIT_RATINGS, refit_every=REFIT_EVERY, limit=FIT_SWEEP_BATCH
    )
    for user_id in user_ids:
        fit_review_parameters.delay(user_id)
    return len(user_ids)


@shared_task(
    name="personalization.purge_claims", ignore_result=True, soft_time_limit=100, time_limit=120
)
def purge_claims() -> int:
    """The retention of `ProcessedActivity` and `ProcessedAnswer` (PERSONALIZATION_BEAT_SCHEDULE):
    claims past PERSONALIZATION_CLAIMS_RETENTION_DAYS (an answer's only once the answer is gone),
    bounded per run; safe to run twice."""
    return services.claims_purge()
