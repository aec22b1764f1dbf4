"""Event subscribers of the personalization domain (registered in `PersonalizationConfig.ready`).

The outbox delivers each event to each subscriber once and commits the subscriber's writes with
its delivery record; the handlers are idempotent on their own too (the profile claims
`event:<id>`, concept cards are unique per concept), so a replayed or redelivered event changes
nothing twice.
"""

from __future__ import annotations

import datetime
from typing import Any

from accounts.selectors import user_get_active
from studymate_api.core.models import DomainEvent
from studymate_api.cqrs import event_subscriber

from .services import profile_observe, review_cards_from_summary
from .services.profile import observation_at

STUDY_TIME_LOGGED = "StudyTimeLogged"
QUIZ_COMPLETED = "QuizCompleted"
SUMMARY_COMPLETED = "SummaryCompleted"
SECONDS_PER_MINUTE = 60.0


def _moment(value: Any, fallback: datetime.datetime) -> datetime.datetime:
    try:
        return datetime.datetime.fromisoformat(str(value))
    except ValueError:
        return fallback


@event_subscriber("personalization.profile", event_types=[STUDY_TIME_LOGGED, QUIZ_COMPLETED])
def profile_from_activity(event: DomainEvent) -> None:
    """Logged study time says when the learner studies; a finished quiz also how well they do
    at that hour, and counts as reading (quiz questions are read text)."""
    payload = event.payload
    user = user_get_active(user_id=int(payload["user_id"]))
    if user is None:
        return
    if event.event_type == STUDY_TIME_LOGGED:
        at = _moment(payload.get("studied_at"), event.occurred_at)
        observation = observation_at(user=user, at=at, minutes=float(payload["minutes"]))
    else:
        at = _moment(payload.get("finished_at"), event.occurred_at)
        seconds = float(payload.get("time_spent_seconds") or 0.0)
        observation = observation_at(
            user=user,
            at=at,
            minutes=max(seconds / SECONDS_PER_MINUTE, 1.0),
            content_type="quiz",
            score_percent=float(payload.get("percentage") or 0.0),
            counts_time=False,  # finishing logs the attempt's time as StudyTimeLogged too
        )
    profile_observe(user_id=user.pk, observation=observation, key=f"event:{event.pk}")


@event_subscriber("personalization.review_concepts", event_types=[SUMMARY_COMPLETED])
def review_concepts_from_summary(event: DomainEvent) -> None:
    """Every key concept of a completed summary becomes a review card for its learner."""
    review_cards_from_summary(summary_id=int(event.payload["summary_id"]))
