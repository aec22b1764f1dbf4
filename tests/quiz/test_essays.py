"""Essays: graded by the AI gateway after commit (over a provider's real SDK against a local
stand-in), low confidence waits for the owner, and the owner's manual grade."""

from __future__ import annotations

import json

import pytest

from personalization.models import ProcessedAnswer
from quiz.events import QUIZ_COMPLETED
from quiz.models import UserAnswer
from studymate_api.core.models import DomainEvent

from .conftest import SUBMIT, attempt_url, finish_url, start_url

pytestmark = pytest.mark.django_db

ESSAY = {
    "question_type": "essay",
    "text": "광합성의 과정을 설명하세요.",
    "rubric": [
        {"name": "Accuracy", "points": 6, "keywords": ["엽록체", "포도당"]},
        {"name": "Clarity", "points": 4},
    ],
    "accepted_answers": ["엽록체에서 빛 에너지로 포도당을 만든다."],
}
TRUE_FALSE = {
    "question_type": "true_false",
    "text": "The sun is a star.",
    "accepted_answers": ["true"],
}
ANSWER = "광합성은 엽록체에서 빛 에너지를 이용해 이산화탄소와 물로 포도당을 만드는 과정이다."


def grade(confidence: float) -> str:
    return json.dumps(
        {
            "score": 8,
            "max_score": 10,
            "confidence": confidence,
            "feedback": "Clear and mostly accurate.",
            "criteria": [
                {"criterion": "Accuracy", "score": 5, "max_score": 6, "feedback": "Good."},
                {"criterion": "Clarity", "score": 3, "max_score": 4, "feedback": "Fine."},
            ],
        }
    )


@pytest.fixture
def essay_quiz(make_quiz):
    return make_quiz(questions=[ESSAY, TRUE_FALSE])


def answer_essay(client, quiz, commit_hooks) -> tuple[dict, dict]:
    attempt = client.post(start_url(quiz.pk)).json()
    essay = next(q for q in attempt["questions"] if q["question_type"] == "essay")
    body = {"attempt_id": attempt["id"], "question_id": essay["id"], "answer": ANSWER}
    with commit_hooks():
        response = client.post(SUBMIT, body, format="json")
    assert response.status_code == 200, response.content
    return attempt, response.json()


def test_a_confident_grade_from_the_provider_is_final(
    essay_quiz, other_client, commit_hooks, enable, openai_api
):
    enable("openai", openai_api)
    openai_api.enqueue(openai_api.completion(grade(0.9)))

    attempt, submitted = answer_essay(other_client, essay_quiz, commit_hooks)

    assert submitted["status"] == "grading"
    assert submitted["is_correct"] is None
    answer = UserAnswer.objects.get(pk=submitted["id"])
    assert answer.status == "graded"
    assert answer.graded_by == "ai"
    assert answer.score == 8
    assert answer.is_correct is True
    assert answer.confidence == 0.9
    assert ProcessedAnswer.objects.filter(answer_id=answer.pk).exists()  # fed the learner model
    assert [c["criterion"] for c in answer.criteria] == ["Accuracy", "Clarity"]
    assert ANSWER in openai_api.user_messages(openai_api.last)[0]

    result = other_client.post(finish_url(attempt["id"])).json()
    assert result["score"] == 8
    assert result["answers"][0]["feedback"] == "Clear and mostly accurate."


def test_a_low_confidence_grade_waits_for_the_owner(
    essay_quiz, other_client, auth_client, commit_hooks, ai_isolated
):
    # The offline grader cannot judge what the essay says, so its confidence is always low.
    attempt, submitted = answer_essay(other_client, essay_quiz, commit_hooks)
    answer = UserAnswer.objects.get(pk=submitted["id"])
    assert answer.status == "needs_review"
    assert answer.score == 0
    assert answer.confidence is not None
    assert answer.confidence < 0.6
    assert answer.criteria  # the suggestion is kept for the owner

    finished = other_client.post(finish_url(attempt["id"])).json()
    assert finished["score"] == 0

    url = f"/api/quiz/answers/{answer.pk}/grade/"
    assert other_client.post(url, {"score": 10}, format="json").status_code == 404
    assert auth_client.post(url, {"score": 11}, format="json").status_code == 400
    assert not ProcessedAnswer.objects.filter(answer_id=answer.pk).exists()  # not graded yet
    with commit_hooks():
        response = auth_client.post(url, {"score": 7, "feedback": "Well argued."}, format="json")
    assert response.status_code == 200
    # The owner's grade feeds the learner model like an automatic one.
    assert ProcessedAnswer.objects.filter(answer_id=answer.pk).exists()
    assert response.json()["graded_by"] == "manual"
    assert response.json()["status"] == "graded"

    result = other_client.get(attempt_url(attempt["id"])).json()
    assert result["score"] == 7
    assert result["percentage"] == pytest.approx(63.64)
    assert result["answers"][0]["feedback"] == "Well argued."


def test_a_provider_outage_falls_back_to_the_offline_grader_and_review(
    essay_quiz, other_client, commit_hooks, enable, openai_api, ai_isolated
):
    enable("openai", openai_api)
    openai_api.enqueue(*[openai_api.error(500) for _ in range(4)])

    _attempt, submitted = answer_essay(other_client, essay_quiz, commit_hooks)

    answer = UserAnswer.objects.get(pk=submitted["id"])
    assert answer.status == "needs_review"
    assert answer.graded_by == "ai"
    assert answer.confidence is not None
    assert answer.confidence < 0.6


def test_grading_task_is_idempotent(essay_quiz, other_client, commit_hooks, ai_isolated):
    from quiz.tasks import grade_essay

    _attempt, submitted = answer_essay(other_client, essay_quiz, commit_hooks)
    assert grade_essay(submitted["id"]) == "skipped"


@pytest.mark.usefixtures("local_ai_charged")
def test_a_learner_without_credits_gets_the_owner_to_grade(
    essay_quiz, other_client, commit_hooks, ai_isolated, settings
):
    from subscription.models import CreditLedger, SubscriptionPlan

    settings.BILLING_FREE_PLAN_MONTHLY_CREDITS = 0
    SubscriptionPlan.objects.filter(code="free").delete()

    _attempt, submitted = answer_essay(other_client, essay_quiz, commit_hooks)

    answer = UserAnswer.objects.get(pk=submitted["id"])
    assert answer.status == "needs_review"
    assert answer.confidence is None  # no model was asked
    assert not CreditLedger.objects.filter(reason="ai_usage").exists()


@pytest.mark.parametrize(
    ("essay", "accuracy"),
    [
        (ANSWER, 6),
        ("엽록체, 포도당, 빛 에너지", 0),  # the keywords listed: nothing explained
    ],
)
def test_the_offline_suggestion_credits_points_explained_in_sentences(
    essay_quiz, other_client, commit_hooks, ai_isolated, essay, accuracy
):
    attempt = other_client.post(start_url(essay_quiz.pk)).json()
    question = next(q for q in attempt["questions"] if q["question_type"] == "essay")
    body = {"attempt_id": attempt["id"], "question_id": question["id"], "answer": essay}
    with commit_hooks():
        assert other_client.post(SUBMIT, body, format="json").status_code == 200

    [answer] = other_client.get(attempt_url(attempt["id"])).json()["answers"]

    assert answer["status"] == "needs_review"  # a suggestion for the owner, not a grade
    criteria = {c["criterion"]: c for c in answer["criteria"]}
    assert set(criteria) == {"Accuracy", "Clarity"}
    assert criteria["Accuracy"]["score"] == accuracy
    assert criteria["Accuracy"]["max_score"] == 6
    if accuracy == 0:
        assert "이름만 쓴 핵심어: 엽록체, 포도당." in criteria["Accuracy"]["feedback"]
        assert criteria["Clarity"]["score"] == 0
    else:
        assert "문장으로 설명한 핵심어: 엽록체, 포도당." in criteria["Accuracy"]["feedback"]


def test_a_pending_essay_leaves_the_result_pending_until_graded(
    essay_quiz, other_client, auth_client, commit_hooks, ai_isolated
):
    """The offline grader's suggestion waits for the owner: until then the attempt has not
    failed (the essay is no 0), and once graded the result is the real one."""
    attempt, submitted = answer_essay(other_client, essay_quiz, commit_hooks)
    true_false = next(q for q in attempt["questions"] if q["question_type"] == "true_false")
    body = {"attempt_id": attempt["id"], "question_id": true_false["id"], "answer": True}
    assert other_client.post(SUBMIT, body, format="json").json()["is_correct"] is True

    with commit_hooks():
        finished = other_client.post(finish_url(attempt["id"])).json()

    assert (finished["score"], finished["max_score"]) == (1, 11)
    assert finished["passed"] is None
    assert (finished["pending_essays"], finished["pending_points"]) == (1, 10)
    assert other_client.get(attempt_url(attempt["id"])).json()["passed"] is None
    [result] = other_client.get("/api/quiz/results/").json()["results"]
    assert result["passed"] is None
    completed = QUIZ_COMPLETED.payload_of(DomainEvent.objects.get(event_type=QUIZ_COMPLETED.name))
    assert (completed["passed"], completed["pending_essays"]) == (None, 1)
    analytics = auth_client.get(f"/api/quiz/quizzes/{essay_quiz.pk}/analytics/").json()
    assert analytics["pass_rate"] is None  # no attempt with a result yet

    url = f"/api/quiz/answers/{submitted['id']}/grade/"
    with commit_hooks():
        assert auth_client.post(url, {"score": 7}, format="json").status_code == 200

    graded = other_client.get(attempt_url(attempt["id"])).json()
    assert (graded["score"], graded["percentage"]) == (8, pytest.approx(72.73))
    assert graded["passed"] is True
    assert (graded["pending_essays"], graded["pending_points"]) == (0, 0)
    [result] = other_client.get("/api/quiz/results/").json()["results"]
    assert result["passed"] is True
    analytics = auth_client.get(f"/api/quiz/quizzes/{essay_quiz.pk}/analytics/").json()
    assert analytics["pass_rate"] == 1.0


def test_a_failing_grade_of_the_last_essay_fails_the_attempt(
    essay_quiz, other_client, auth_client, commit_hooks, ai_isolated
):
    attempt, submitted = answer_essay(other_client, essay_quiz, commit_hooks)
    assert other_client.post(finish_url(attempt["id"])).json()["passed"] is None

    url = f"/api/quiz/answers/{submitted['id']}/grade/"
    assert auth_client.post(url, {"score": 2}, format="json").status_code == 200

    graded = other_client.get(attempt_url(attempt["id"])).json()
    assert (graded["score"], graded["passed"], graded["pending_essays"]) == (2, False, 0)
