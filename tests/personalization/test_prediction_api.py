"""Performance prediction: per question, per quiz (expected score), goal readiness."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from personalization.selectors.prediction import goal_readiness_list, quiz_prediction
from quiz.models import Question, Quiz, UserAnswer
from study.models import StudyGoal, Subject

from .conftest import answered

pytestmark = pytest.mark.django_db
PREDICTIONS = "/api/personalization/predictions/"
GradedAnswer = Callable[[User, Question, bool], UserAnswer]


def test_a_quizs_expected_score_follows_the_learner(
    auth_client: APIClient,
    user: User,
    make_question: Callable[..., Question],
    graded_answer: GradedAnswer,
) -> None:
    easy, hard = make_question("easy"), make_question("hard")
    hard.points = 3.0
    hard.save(update_fields=["points"])
    before = auth_client.get(PREDICTIONS, {"quiz_id": easy.quiz_id}).json()
    for _ in range(6):
        answered(graded_answer, user, make_question("hard"), True)

    response = auth_client.get(PREDICTIONS, {"quiz_id": easy.quiz_id})

    assert response.status_code == 200, response.content
    after = response.json()
    # The six practice questions were added to the same quiz.
    assert (before["max_score"], after["max_score"]) == (4.0, 10.0)
    by_id = {q["question_id"]: q for q in after["questions"]}
    assert by_id[easy.pk]["probability_correct"] > by_id[hard.pk]["probability_correct"]
    expected = sum(q["points"] * q["probability_correct"] for q in after["questions"])
    assert after["expected_score"] == pytest.approx(expected, abs=1e-3)
    assert after["expected_percentage"] == pytest.approx(
        100 * after["expected_score"] / after["max_score"], abs=0.01
    )
    before_by_id = {q["question_id"]: q for q in before["questions"]}
    for question in (easy, hard):
        assert (
            by_id[question.pk]["probability_correct"]
            > before_by_id[question.pk]["probability_correct"]
        )
    assert after["pass_probability"] > before["pass_probability"]
    assert 0 <= after["pass_probability"] <= 1
    assert after["confidence"] > before["confidence"] == 0


def test_a_learner_who_keeps_failing_is_predicted_to_fail_the_next_question(
    user: User, make_question: Callable[..., Question], graded_answer: GradedAnswer
) -> None:
    question = make_question("medium", topics=["equations", "graphs"])
    for _ in range(3):
        answered(graded_answer, user, make_question("medium"), False)
    listed = quiz_prediction(user=user, quiz_id=question.quiz_id).questions
    [single] = [q.probability_correct for q in listed if q.question_id == question.pk]
    assert single < 0.5


def test_another_learners_private_quiz_is_not_found(
    auth_client: APIClient, other_user: User
) -> None:
    private = Quiz.objects.create(title="Mine", owner=other_user, is_public=False)
    response = auth_client.get(PREDICTIONS, {"quiz_id": private.pk})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    public = Quiz.objects.create(title="Ours", owner=other_user, is_public=True)
    assert auth_client.get(PREDICTIONS, {"quiz_id": public.pk}).status_code == 200


@pytest.mark.parametrize("query", [{}, {"quiz_id": "x"}, {"quiz_id": "0"}])
def test_a_missing_or_bad_quiz_id_is_a_validation_error(
    auth_client: APIClient, query: dict[str, str]
) -> None:
    response = auth_client.get(PREDICTIONS, query)
    assert response.status_code == 400
    assert "quiz_id" in response.json()["error"]["fields"]


def goal(user: User, subject: Subject | None, **fields: Any) -> StudyGoal:
    return StudyGoal.objects.create(user=user, subject=subject, title="Exam", **fields)


def test_goal_readiness_projects_the_pace_to_the_date(user: User, subject: Subject) -> None:
    today = timezone.localdate()
    in_four_days = today + datetime.timedelta(days=4)
    on_pace = goal(user, subject, target_minutes=300, logged_minutes=60, target_date=in_four_days)
    behind = goal(user, None, target_minutes=1000, logged_minutes=60, target_date=in_four_days)
    rows = {r.goal_id: r for r in goal_readiness_list(user=user, today=today)}
    ahead = rows[on_pace.pk]
    # Created today: 60 minutes a day for 4 more days reaches 300.
    assert (ahead.pace_minutes_per_day, ahead.days_left, ahead.projected_minutes) == (60, 4, 300)
    assert ahead.on_track
    assert ahead.time_readiness == 1.0
    assert ahead.mastery is None
    assert ahead.readiness == 1.0
    assert not rows[behind.pk].on_track
    assert rows[behind.pk].readiness == pytest.approx(0.3)


def test_goal_readiness_includes_mastery_of_the_subject(
    auth_client: APIClient,
    user: User,
    subject: Subject,
    make_question: Callable[..., Question],
    graded_answer: GradedAnswer,
) -> None:
    target = goal(user, subject, target_minutes=100, logged_minutes=100)
    for _ in range(4):
        answered(graded_answer, user, make_question("easy"), False)
    [row] = auth_client.get("/api/personalization/analysis_details/").json()["predictions"]["goals"]
    assert row["goal_id"] == target.pk
    assert row["time_readiness"] == 1.0
    assert row["mastery"] < 0.5
    assert row["readiness"] == pytest.approx((1.0 + row["mastery"]) / 2, abs=1e-3)
    assert row["target_date"] is None


def test_an_id_beyond_any_row_is_not_found(auth_client: APIClient) -> None:
    response = auth_client.get(PREDICTIONS, {"quiz_id": "9" * 30})
    assert response.status_code == 404
