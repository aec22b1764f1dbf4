"""What personalization does when other apps' events happen (registered in
`PersonalizationConfig.ready`).

The outbox delivers each event to each subscriber once and commits the subscriber's writes with
its delivery record; the handlers are idempotent on their own too (the profile claims
`event:<id>`, the learner model `ProcessedAnswer`, concept cards are unique per concept), so a
replayed or redelivered event changes nothing twice.

One activity reaches the profile once: logged study time (StudyTimeLogged) says when the
learner studies; a finished quiz (QuizCompleted) says that and how well they do at that hour.
Finishing a quiz logs its minutes as study progress without a StudyTimeLogged of its own
(`quiz.events`), so its time is counted from QuizCompleted alone.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ObjectDoesNotExist

from accounts.events import ACCOUNT_ERASURE_DUE
from accounts.selectors import user_get_with_profile
from quiz.events import ANSWER_GRADED, QUIZ_COMPLETED, QuizCompletedPayload
from study.events import STUDY_TIME_LOGGED, SUMMARY_COMPLETED
from study.selectors import user_timezone
from studymate_api.core.models import DomainEvent
from studymate_api.cqrs import event_subscriber

from .selectors.knowledge import GradedAnswer, answer_skills
from .services import (
    knowledge_update_from_answer,
    knowledge_update_from_answers,
    profile_observe,
    review_cards_from_summary,
)
from .services.erasure import personalization_erase_for_user
from .services.profile import observation_in

if TYPE_CHECKING:
    from accounts.models import User

SECONDS_PER_MINUTE = 60.0


def _moment(value: str | None, fallback: datetime.datetime) -> datetime.datetime:
    try:
        return datetime.datetime.fromisoformat(str(value))
    except ValueError:
        return fallback


def _zone(name: str | None) -> ZoneInfo | None:
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _active_user(*, user_id: int) -> User | None:
    """The learner with their profile (their time zone) in one query; None unless active."""
    try:
        user = user_get_with_profile(user_id=user_id)
    except ObjectDoesNotExist:
        return None
    return user if user.is_active else None


@event_subscriber("personalization.profile", event_types=[STUDY_TIME_LOGGED, QUIZ_COMPLETED])
def profile_from_activity(event: DomainEvent) -> None:
    """A finished quiz also counts as reading (quiz questions are read text). QuizCompleted
    tells the learner's time zone: no query for the learner (they were active a moment ago,
    finishing it)."""
    if event.event_type == STUDY_TIME_LOGGED.name:
        logged = STUDY_TIME_LOGGED.payload_of(event)
        user_id, zone = logged["user_id"], None
        at, minutes = _moment(logged["studied_at"], event.occurred_at), float(logged["minutes"])
        content_type, score = None, None
    else:
        finished = QUIZ_COMPLETED.payload_of(event)
        user_id, zone = finished["user_id"], _zone(finished.get("timezone"))
        at = _moment(finished["finished_at"], event.occurred_at)
        minutes = max(float(finished["time_spent_seconds"] or 0.0) / SECONDS_PER_MINUTE, 1.0)
        # With essays still waiting for a grade the percentage is only a share so far: no
        # score to learn from.
        pending = finished.get("pending_essays", 0)
        content_type, score = "quiz", None if pending else finished["percentage"]
    if zone is None:  # a log, or a QuizCompleted recorded before it told the time zone
        user = _active_user(user_id=user_id)
        if user is None:
            return
        zone = user_timezone(user)
    observation = observation_in(
        zone, at=at, minutes=minutes, content_type=content_type, score_percent=score
    )
    profile_observe(user_id=user_id, observation=observation, key=f"event:{event.pk}")


@event_subscriber("personalization.knowledge", event_types=[ANSWER_GRADED, QUIZ_COMPLETED])
def knowledge_from_answer(event: DomainEvent) -> None:
    """Every graded answer moves the learner's ability, their skills and the question's
    difficulty, and is a review of the spaced-review cards of its question and topics (a wrong
    one without a card becomes one). In the delivery itself: no task.

    An adaptive attempt's answers, essays and the owner's grades come one AnswerGraded each; a
    fixed attempt's automatic grades come all at once with its QuizCompleted (`quiz.events`);
    both say what the model needs of each answer (no query to read them).
    A finished adaptive attempt (and an event recorded before QuizCompleted listed them) has
    none left to tell."""
    if event.event_type == ANSWER_GRADED.name:
        graded = ANSWER_GRADED.payload_of(event)
        correct = graded.get("correct")
        if correct is None:  # recorded before the payload told the grade
            knowledge_update_from_answer(answer_id=graded["answer_id"])
            return
        answer = GradedAnswer(
            answer_id=graded["answer_id"],
            user_id=graded["user_id"],
            question_id=graded["question_id"],
            subject_id=graded.get("subject_id"),
            skills=answer_skills(graded.get("topics", []), graded.get("subject_name")),
            authored_difficulty=graded.get("difficulty", ""),
            correct=correct,
            seconds=graded.get("response_seconds"),
            answered_at=event.occurred_at,
        )
        knowledge_update_from_answers([answer])
        return
    knowledge_update_from_answers(
        _graded_answers(QUIZ_COMPLETED.payload_of(event), event.occurred_at)
    )


def _graded_answers(
    finished: QuizCompletedPayload, finished_at: datetime.datetime
) -> list[GradedAnswer]:
    """The graded answers a QuizCompleted tells of, in answer order, from its payload alone,
    each with its own time (spaced review reads it as how fast the learner recalled); an event
    recorded before answers had their time gives each the attempt's mean time per answer (its
    time over the answers graded now and the essays)."""
    subject_name = finished.get("subject_name")
    graded_answers = finished.get("graded_answers", [])
    answered = len(graded_answers) + finished.get("essay_answers", 0)
    spent = finished["time_spent_seconds"]
    mean_seconds = spent / answered if spent is not None and answered else None
    return [
        GradedAnswer(
            answer_id=graded["answer_id"],
            user_id=finished["user_id"],
            question_id=graded["question_id"],
            subject_id=finished["subject_id"],
            skills=answer_skills(graded["topics"], subject_name),
            authored_difficulty=graded["difficulty"],
            correct=graded["correct"],
            seconds=graded.get("response_seconds", mean_seconds),
            # Minutes apart at most: the forgetting of the knowledge model counts days.
            answered_at=finished_at,
        )
        for graded in graded_answers
    ]


@event_subscriber("personalization.review_concepts", event_types=[SUMMARY_COMPLETED])
def review_concepts_from_summary(event: DomainEvent) -> None:
    """Every key concept of a completed summary becomes a review card for its learner."""
    completed = SUMMARY_COMPLETED.payload_of(event)
    review_cards_from_summary(summary_id=completed["summary_id"], completed=completed)


@event_subscriber("personalization.erase_account", event_types=[ACCOUNT_ERASURE_DUE])
def erase_account(event: DomainEvent) -> None:
    """accounts' AccountErasureDue: the learner model and review cards go
    (`services.erasure`)."""
    personalization_erase_for_user(user_id=ACCOUNT_ERASURE_DUE.payload_of(event)["user_id"])
