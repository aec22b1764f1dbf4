"""One visibility rule (`quiz.selectors.quiz_visibility`) behind every read of a quiz, in quiz and
in personalization: public quizzes and one's own; another learner's private quiz is not found."""

from __future__ import annotations

from quiz.models import GenerationStatus, Question, Quiz
from quiz.selectors import quiz_newest_per_subject, quiz_popular

from .conftest import QUESTIONS, quiz_url

PREDICTIONS = "/api/personalization/predictions/"


def _statuses(client, quiz) -> dict[str, int]:
    question = Question.objects.filter(quiz=quiz).earliest("id")
    listed = client.get(QUESTIONS, {"quiz_id": quiz.pk}).json()
    return {
        "quiz": client.get(quiz_url(quiz.pk)).status_code,
        "question": client.get(f"{QUESTIONS}{question.pk}/").status_code,
        "question edit": client.patch(f"{QUESTIONS}{question.pk}/", {"text": "x"}).status_code,
        "questions listed": len(listed.get("results", listed)),
        "prediction": client.get(PREDICTIONS, {"quiz_id": quiz.pk}).status_code,
    }


def test_another_learners_quiz_is_visible_while_public_and_not_found_once_private(
    make_quiz, auth_client, other_client, commit_hooks
):
    quiz = make_quiz(is_public=True)
    count = Question.objects.filter(quiz=quiz).count()
    # Visible, but only its owner may change it.
    assert _statuses(other_client, quiz) == {
        "quiz": 200,
        "question": 200,
        "question edit": 403,
        "questions listed": count,
        "prediction": 200,
    }
    with commit_hooks():  # the change invalidates the quiz's cached reads after commit
        assert auth_client.patch(quiz_url(quiz.pk), {"is_public": False}).status_code == 200
    assert _statuses(other_client, quiz) == {
        "quiz": 404,
        "question": 404,
        "question edit": 404,
        "questions listed": 0,
        "prediction": 404,
    }
    owner = _statuses(auth_client, quiz)
    assert owner["quiz"] == owner["question"] == owner["prediction"] == 200


def test_a_quiz_the_ai_has_not_generated_is_its_owners_alone_even_when_public(
    make_quiz, user, other_user, subject, auth_client, other_client
):
    """Pending (or failed): nobody else reads, lists, recommends or takes it; nobody takes it."""
    quiz = make_quiz(is_public=True)
    Quiz.objects.filter(pk=quiz.pk).update(generation_status=GenerationStatus.PENDING)
    assert _statuses(other_client, quiz) == {
        "quiz": 404,
        "question": 404,
        "question edit": 404,
        "questions listed": 0,
        "prediction": 404,
    }
    owner = _statuses(auth_client, quiz)
    assert owner["quiz"] == owner["question"] == owner["prediction"] == 200
    assert quiz.pk not in {row["id"] for row in quiz_popular(user=other_user, limit=10)}
    for learner in (user, other_user):
        newest = quiz_newest_per_subject(user=learner, subject_ids=[subject.pk], scanned=10)
        assert newest == {}
