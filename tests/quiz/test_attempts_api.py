"""Taking a quiz over HTTP: start, answer every type, finish, and every conflict."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from quiz.models import Question, QuizAttempt, UserAnswer
from study.models import StudyLog, StudyProgress
from studymate_api.core.models import DomainEvent
from tests.conftest import login_tokens
from tests.factories import UserFactory

from .conftest import QUESTION_SET, SUBMIT, attempt_url, finish_url, start_url

pytestmark = pytest.mark.django_db


def start(client, quiz) -> dict:
    response = client.post(start_url(quiz.pk))
    assert response.status_code == 201, response.content
    return response.json()


def submit(client, attempt_id, question_id, answer):
    body = {"attempt_id": attempt_id, "question_id": question_id, "answer": answer}
    return client.post(SUBMIT, body, format="json")


def by_type(attempt: dict) -> dict[str, dict]:
    """The attempt's questions by type; the second short answer (pi) as `numeric`."""
    questions: dict[str, dict] = {}
    for question in attempt["questions"]:
        key = question["question_type"]
        questions["numeric" if key in questions else key] = question
    return questions


def choice_id(question: dict, text: str) -> int:
    return next(c["id"] for c in question["choices"] if c["text"] == text)


def test_start_answers_questions_without_answers(quiz, other_client):
    attempt = start(other_client, quiz)
    assert attempt["quiz"] == quiz.pk
    assert attempt["expires_at"] is None
    assert len(attempt["questions"]) == len(QUESTION_SET)
    text = str(attempt)
    assert "is_correct" not in text
    assert "accepted_answers" not in text
    assert "explanation" not in text


def test_a_full_attempt_grades_every_type_and_adds_up(quiz, other_client, other_user):
    attempt = start(other_client, quiz)
    q = by_type(attempt)
    answers = [
        (q["multiple_choice"], choice_id(q["multiple_choice"], "서울"), True, 2),
        (q["multiple_select"], [choice_id(q["multiple_select"], "2")], False, 2),
        (q["true_false"], False, False, 0),
        (q["short_answer"], "  엽록체. ", True, 1),
        (q["numeric"], "3.15", True, 1),
    ]
    for question, answer, correct, score in answers:
        response = submit(other_client, attempt["id"], question["id"], answer)
        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["is_correct"], body["score"]) == (correct, score)
        assert body["status"] == "graded"
        # show_answers is after_finish by default: nothing yet.
        assert body["correct_answer"] is None
        assert body["explanation"] is None

    response = other_client.post(finish_url(attempt["id"]))
    assert response.status_code == 200
    result = response.json()
    assert result["score"] == 6
    assert result["max_score"] == 9
    assert result["percentage"] == pytest.approx(66.67)
    assert result["passed"] is True  # 60% by default
    assert result["time_spent_seconds"] >= 0
    assert len(result["answers"]) == 5
    mc = next(a for a in result["answers"] if a["question_id"] == q["multiple_choice"]["id"])
    assert mc["correct_answer"] == choice_id(q["multiple_choice"], "서울")
    assert mc["explanation"] == "서울은 1394년부터 수도이다."

    assert other_client.get(attempt_url(attempt["id"])).json()["score"] == 6
    event = DomainEvent.objects.get(event_type="QuizCompleted")
    assert event.aggregate_id == str(attempt["id"])
    assert event.payload["percentage"] == pytest.approx(66.67)
    progress = StudyProgress.objects.get(user=other_user, subject=quiz.subject)
    assert progress.total_study_minutes == 1
    assert StudyLog.objects.get(user=other_user).minutes == 1


def test_show_answers_immediately(make_quiz, other_client):
    quiz = make_quiz(show_answers="immediately")
    attempt = start(other_client, quiz)
    q = by_type(attempt)
    body = submit(other_client, attempt["id"], q["multiple_select"]["id"], []).json()
    assert sorted(body["correct_answer"]) == sorted(
        [choice_id(q["multiple_select"], "2"), choice_id(q["multiple_select"], "3")]
    )
    body = submit(other_client, attempt["id"], q["short_answer"]["id"], "미토콘드리아").json()
    assert body["correct_answer"] == "엽록체"


def test_show_answers_never(make_quiz, other_client):
    quiz = make_quiz(show_answers="never")
    attempt = start(other_client, quiz)
    submit(other_client, attempt["id"], by_type(attempt)["true_false"]["id"], True)
    result = other_client.post(finish_url(attempt["id"])).json()
    assert result["answers"][0]["correct_answer"] is None
    assert result["answers"][0]["is_correct"] is True


def test_answering_twice_after_finish_and_finishing_twice_conflict(quiz, other_client):
    attempt = start(other_client, quiz)
    question = by_type(attempt)["true_false"]["id"]
    assert submit(other_client, attempt["id"], question, True).status_code == 200
    again = submit(other_client, attempt["id"], question, False)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "conflict"

    assert other_client.post(finish_url(attempt["id"])).status_code == 200
    other = by_type(attempt)["short_answer"]["id"]
    assert submit(other_client, attempt["id"], other, "엽록체").status_code == 409
    second = other_client.post(finish_url(attempt["id"]))
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "conflict"


def test_answers_after_the_time_limit_conflict(make_quiz, other_client):
    quiz = make_quiz(time_limit_minutes=5)
    attempt = start(other_client, quiz)
    assert attempt["expires_at"] is not None
    QuizAttempt.objects.filter(pk=attempt["id"]).update(
        started_at=timezone.now() - datetime.timedelta(minutes=7),
        expires_at=timezone.now() - datetime.timedelta(minutes=2),
    )
    response = submit(other_client, attempt["id"], by_type(attempt)["true_false"]["id"], True)
    assert response.status_code == 409
    # Finishing late still scores it, with time spent capped at the limit.
    result = other_client.post(finish_url(attempt["id"])).json()
    assert result["time_spent_seconds"] == 300


def test_max_attempts(make_quiz, other_client):
    quiz = make_quiz(max_attempts=1)
    start(other_client, quiz)
    response = other_client.post(start_url(quiz.pk))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"


def test_bad_requests_get_their_error_codes(quiz, make_quiz, other_client, auth_client):
    attempt = start(other_client, quiz)
    q = by_type(attempt)
    # Someone else's attempt: not found, for reading, answering and finishing.
    assert auth_client.get(attempt_url(attempt["id"])).status_code == 404
    foreign = submit(auth_client, attempt["id"], q["true_false"]["id"], True)
    assert foreign.status_code == 404
    assert foreign.json()["error"]["code"] == "not_found"
    assert auth_client.post(finish_url(attempt["id"])).status_code == 404
    # A choice of another question.
    wrong_choice = q["multiple_select"]["choices"][0]["id"]
    response = submit(other_client, attempt["id"], q["multiple_choice"]["id"], wrong_choice)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert "answer" in response.json()["error"]["fields"]
    # A question of another quiz.
    stray = Question.objects.filter(quiz=make_quiz()).earliest("id")
    response = submit(other_client, attempt["id"], stray.pk, True)
    assert response.status_code == 400
    assert "question_id" in response.json()["error"]["fields"]
    # Wrong answer shapes.
    assert submit(other_client, attempt["id"], q["true_false"]["id"], 3).status_code == 400
    assert submit(other_client, attempt["id"], q["short_answer"]["id"], "").status_code == 400
    assert submit(other_client, attempt["id"], q["multiple_select"]["id"], 1).status_code == 400
    assert other_client.post(SUBMIT, {"attempt_id": attempt["id"]}).status_code == 400
    assert other_client.post(start_url(999_999)).status_code == 404
    assert not UserAnswer.objects.exists()


def test_private_quiz_cannot_be_started_by_others(make_quiz, other_client):
    private = make_quiz(is_public=False)
    assert other_client.post(start_url(private.pk)).status_code == 404


def test_draw_and_shuffle_freeze_the_order(make_quiz, other_client):
    quiz = make_quiz(questions_per_attempt=3, shuffle_questions=True, shuffle_choices=True)
    attempt = start(other_client, quiz)
    assert len(attempt["questions"]) == 3
    stored = QuizAttempt.objects.get(pk=attempt["id"])
    assert stored.max_score == sum(
        Question.objects.get(pk=q["id"]).points for q in attempt["questions"]
    )
    again = other_client.get(attempt_url(attempt["id"])).json()
    assert again["questions"] == attempt["questions"]


def test_results_history(quiz, other_client):
    attempt = start(other_client, quiz)
    start(other_client, quiz)  # unfinished: not a result
    other_client.post(finish_url(attempt["id"]))
    body = other_client.get("/api/quiz/results/").json()
    assert body["count"] == 1
    assert body["results"][0]["id"] == attempt["id"]
    assert body["results"][0]["quiz_title"] == quiz.title


@pytest.mark.django_db(transaction=True)
def test_concurrent_double_submit_stores_one_answer(make_quiz):
    quiz = make_quiz()
    learner = UserFactory.create()
    token = login_tokens(APIClient(), learner.email)["access"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    attempt = QuizAttempt.objects.get(pk=start(client, quiz)["id"])
    question = Question.objects.get(quiz=quiz, question_type="true_false")
    racers = 4
    barrier = threading.Barrier(racers)
    statuses: list[int] = []

    def race() -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        try:
            barrier.wait(timeout=10)
            statuses.append(submit(client, attempt.pk, question.pk, True).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=race) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(statuses) == [200] + [409] * (racers - 1)
    assert UserAnswer.objects.filter(attempt=attempt).count() == 1


def test_submit_costs_a_constant_few_queries(quiz, other_client):
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    attempt = start(other_client, quiz)
    for question in attempt["questions"][:2]:
        answer = question["choices"][0]["id"]
        if question["question_type"] == "multiple_select":
            answer = [answer]
        with CaptureQueriesContext(db) as queries:
            response = submit(other_client, attempt["id"], question["id"], answer)
        assert response.status_code == 200
        statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
        # user, locked attempt, question (with whether it is answered), its choices, the
        # insert; a fixed attempt's grades are told by its QuizCompleted, no event per answer
        assert len(statements) <= 5, statements


def _race(token: str, racers: int, call) -> list[int]:
    barrier = threading.Barrier(racers)
    statuses: list[int] = []

    def run() -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        try:
            barrier.wait(timeout=10)
            statuses.append(call(client).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(statuses)


@pytest.mark.django_db(transaction=True)
def test_concurrent_starts_and_finishes_respect_the_limits(make_quiz):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (SQLite ignores SELECT ... FOR UPDATE)")
    quiz = make_quiz(max_attempts=1)
    learner = UserFactory.create()
    token = login_tokens(APIClient(), learner.email)["access"]

    assert _race(token, 4, lambda c: c.post(start_url(quiz.pk))) == [201, 409, 409, 409]
    attempt = QuizAttempt.objects.get(user=learner)
    assert _race(token, 3, lambda c: c.post(finish_url(attempt.pk))) == [200, 409, 409]


def test_finishing_counts_a_quiz_completed_event_after_commit(quiz, other_client, commit_hooks):
    from studymate_api.metrics.instruments import EVENTS_TRACKED

    counter = EVENTS_TRACKED.labels(event="quiz_completed")
    attempt = start(other_client, quiz)
    before = counter._value.get()
    with commit_hooks():
        assert other_client.post(finish_url(attempt["id"])).status_code == 200
    assert counter._value.get() == before + 1


def test_a_private_subject_of_the_owner_logs_no_progress(make_quiz, other_client, user):
    from tests.study.factories import SubjectFactory

    private = SubjectFactory.create(created_by=user, is_public=False)
    quiz = make_quiz(subject_id=private.pk)
    attempt = start(other_client, quiz)
    assert other_client.post(finish_url(attempt["id"])).status_code == 200
    assert not StudyProgress.objects.exists()
