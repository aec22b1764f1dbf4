"""The model is updated after commit by events, tasks and sessions, idempotently: a redelivered
event or message changes nothing twice; each update invalidates the learner's cached profile."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from personalization.models import LearnerProfile, ProcessedActivity, ProcessedAnswer, ReviewCard
from personalization.services import learning_session_record, learning_session_record_on_commit
from personalization.subscribers import knowledge_from_answer, profile_from_activity
from quiz.events import ANSWER_GRADED
from quiz.models import Question, UserAnswer
from study.models import Subject
from studymate_api.core.models import DomainEvent
from studymate_api.cqrs import publish

pytestmark = pytest.mark.django_db
PROFILE = "/api/personalization/profile/"
GradedAnswer = Callable[[User, Question, bool], UserAnswer]
SEOUL = ZoneInfo("Asia/Seoul")


def snapshot(user: User) -> tuple[Any, ...]:
    row = LearnerProfile.objects.get(user=user)
    return (
        row.observations,
        row.style_weights,
        row.style_counts,
        row.hour_minutes,
        row.hour_score_sums,
        row.evidence_at,
    )


def test_logged_study_time_updates_the_profile_once(
    auth_client: APIClient, user: User, subject: Subject, django_capture_on_commit_callbacks: Any
) -> None:
    assert auth_client.get(PROFILE).json()["optimal_study_time"] is None  # now cached
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post(
            "/api/study/progress/", {"subject_id": subject.pk, "minutes": 50}, format="json"
        )
    assert response.status_code == 201, response.content
    event = DomainEvent.objects.get(event_type="StudyTimeLogged")
    before = snapshot(user)
    assert before[0] == 1
    assert sum(before[3]) == pytest.approx(50)
    assert before[1] == {}  # a study log says nothing about the format

    # The cached profile was invalidated: the study hour shows.
    assert auth_client.get(PROFILE).json()["optimal_study_time"] is not None

    # Redelivered: by the outbox (already delivered to us) and straight to the handler.
    publish(event.pk)
    profile_from_activity(event)
    assert snapshot(user) == before
    assert ProcessedActivity.objects.filter(key=f"event:{event.pk}").count() == 1


def test_a_finished_quiz_counts_as_reading_with_its_score(
    auth_client: APIClient,
    user: User,
    make_question: Callable[..., Question],
    django_capture_on_commit_callbacks: Any,
) -> None:
    question = make_question("medium")
    attempt = auth_client.post(f"/api/quiz/quizzes/{question.quiz_id}/attempts/").json()
    body = {"attempt_id": attempt["id"], "question_id": question.pk, "answer": "true"}
    with django_capture_on_commit_callbacks(execute=True):
        assert auth_client.post("/api/quiz/submit-answer/", body, format="json").status_code in (
            200,
            201,
        )
        finished = auth_client.post(f"/api/quiz/attempts/{attempt['id']}/finish/")
    assert finished.status_code == 200, finished.content
    event = DomainEvent.objects.get(event_type="QuizCompleted")
    row = LearnerProfile.objects.get(user=user)
    assert row.style_totals == {"reading": 1}
    # The attempt's time counts once, from QuizCompleted: finishing logs it as study progress
    # without a StudyTimeLogged, so the finish reaches the profile once.
    assert not DomainEvent.objects.filter(event_type="StudyTimeLogged").exists()
    assert ProcessedActivity.objects.filter(key__startswith="event:").count() == 1
    seconds = event.payload["time_spent_seconds"] or 0
    assert sum(row.hour_minutes) == pytest.approx(max(seconds / 60, 1.0))
    assert sum(row.hour_score_sums) == pytest.approx(1.0)  # 100%
    assert sum(row.hour_score_counts) == pytest.approx(1.0)
    before = snapshot(user)
    profile_from_activity(event)
    assert snapshot(user) == before


def test_a_learning_session_is_recorded_once_per_session_id(user: User) -> None:
    started = datetime.datetime(2026, 11, 20, 21, 5, tzinfo=SEOUL)
    kwargs: dict[str, Any] = {
        "user": user,
        "subject_id": None,
        "started_at": started,
        "duration_minutes": 25,
        "focus_score": 80,
        "content_type": "video",
        "session_id": "abc-1",
        "counts_time": True,
    }
    assert learning_session_record(**kwargs) is True
    before = snapshot(user)
    assert learning_session_record(**kwargs) is False
    assert snapshot(user) == before
    row = LearnerProfile.objects.get(user=user)
    assert row.style_totals == {"visual": 1}
    assert row.hour_minutes[21] == pytest.approx(25)  # its hour in the learner's time zone
    assert row.hour_score_sums[21] == pytest.approx(0.8)


def test_a_session_ended_in_a_transaction_is_recorded_after_commit_through_celery(
    user: User, django_capture_on_commit_callbacks: Any
) -> None:
    started = datetime.datetime(2026, 11, 20, 8, 0, tzinfo=datetime.UTC)
    with django_capture_on_commit_callbacks(execute=False) as hooks:
        learning_session_record_on_commit(
            user=user,
            session_id=42,
            subject_id=None,
            started_at=started,
            duration_minutes=30,
            focus_score=70,
        )
    assert not LearnerProfile.objects.exists()  # nothing before the commit
    for hook in hooks:
        hook()
    for hook in hooks:  # a redelivered message
        hook()
    row = LearnerProfile.objects.get(user=user)
    assert row.observations == 1
    assert row.hour_score_sums[17] == pytest.approx(0.7)  # 08:00 UTC is 17:00 in Seoul
    # Its minutes reach the study hours through the study time the session logs, not here.
    assert sum(row.hour_minutes) == 0
    assert ProcessedActivity.objects.filter(key="session:42").exists()


def test_a_redelivered_wrong_answer_makes_one_card_and_no_lapse(
    user: User, make_question: Callable[..., Question], graded_answer: GradedAnswer
) -> None:
    answer = graded_answer(user, make_question("medium"), False)
    event = ANSWER_GRADED.record(
        aggregate_id=answer.pk,
        payload={
            "answer_id": answer.pk,
            "attempt_id": answer.attempt_id,
            "user_id": user.pk,
            "question_id": answer.question_id,
            "question_type": answer.question.question_type,
        },
    )
    knowledge_from_answer(event)
    knowledge_from_answer(event)  # redelivered
    card = ReviewCard.objects.get(user=user)
    assert (card.reps, card.lapses, card.logs.count()) == (0, 0, 0)
    assert ProcessedAnswer.objects.filter(answer_id=answer.pk).count() == 1


def test_late_events_count_decayed_and_never_move_the_clock_back(user: User) -> None:
    now = datetime.datetime(2026, 11, 20, 12, 0, tzinfo=datetime.UTC)
    common: dict[str, Any] = {"user": user, "subject_id": None, "duration_minutes": 30}
    learning_session_record(**common, started_at=now, focus_score=50, content_type="podcast")
    old = now - datetime.timedelta(days=60)  # delivered late: two half-lives old
    learning_session_record(**common, started_at=old, focus_score=50, content_type="video")
    row = LearnerProfile.objects.get(user=user)
    assert row.evidence_at == now
    assert row.style_counts["visual"] == pytest.approx(0.25)
    assert row.style_counts["auditory"] == pytest.approx(1.0)
