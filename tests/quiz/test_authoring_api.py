"""Quizzes and questions: CRUD by the owner, visibility, and answers hidden from learners."""

from __future__ import annotations

import json

import pytest

from quiz.models import Choice, Question, Quiz

from .conftest import QUESTION_SET, QUESTIONS, QUIZZES, quiz_url

pytestmark = pytest.mark.django_db

ANSWER_KEYS = {"is_correct", "accepted_answers", "rubric", "numeric_tolerance"}


def keys_in(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_in(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_in(v)}
    return set()


def assert_no_answers(body) -> None:
    assert not keys_in(body) & ANSWER_KEYS, json.dumps(body, ensure_ascii=False)
    for question in body.get("questions", []):
        assert question["explanation"] is None


def test_create_with_inline_questions(auth_client, subject):
    body = {
        "title": "Capitals",
        "subject": subject.pk,
        "difficulty": "easy",
        "time_limit_minutes": 10,
        "is_public": True,
        "questions": QUESTION_SET,
    }
    response = auth_client.post(QUIZZES, body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["title"] == "Capitals"
    assert data["subject"] == subject.pk
    assert [q["question_type"] for q in data["questions"]] == [
        q["question_type"] for q in QUESTION_SET
    ]
    # The owner sees the answers.
    first = data["questions"][0]
    assert [c["is_correct"] for c in first["choices"]] == [False, True, False]
    assert data["questions"][3]["accepted_answers"] == ["엽록체", "chloroplast"]
    assert first["explanation"] == "서울은 1394년부터 수도이다."
    assert Choice.objects.filter(question__quiz_id=data["id"]).count() == 7


@pytest.mark.parametrize(
    "question",
    [
        {"question_type": "multiple_choice", "text": "q", "choices": [{"text": "a"}]},
        {
            "question_type": "multiple_choice",
            "text": "q",
            "choices": [{"text": "a", "is_correct": True}, {"text": "b", "is_correct": True}],
        },
        {"question_type": "short_answer", "text": "q"},
        {"question_type": "true_false", "text": "q", "accepted_answers": ["maybe"]},
        {"question_type": "essay", "text": "q", "choices": [{"text": "a"}, {"text": "b"}]},
    ],
    ids=["one_choice", "two_correct", "no_accepted", "not_boolean", "essay_with_choices"],
)
def test_questions_that_cannot_be_graded_are_refused(auth_client, question):
    response = auth_client.post(QUIZZES, {"title": "t", "questions": [question]}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert "questions[0]" in response.json()["error"]["fields"]
    assert not Quiz.objects.exists()


def test_unknown_fields_are_refused(auth_client):
    response = auth_client.post(QUIZZES, {"title": "t", "owner": 5}, format="json")
    assert response.status_code == 400
    assert "owner" in response.json()["error"]["fields"]


def test_learner_never_sees_answers_in_detail_or_lists(quiz, other_client):
    detail = other_client.get(quiz_url(quiz.pk))
    assert detail.status_code == 200
    assert len(detail.json()["questions"]) == len(QUESTION_SET)
    assert_no_answers(detail.json())

    listing = other_client.get(QUIZZES)
    assert listing.status_code == 200
    assert listing.json()["count"] == 1
    assert_no_answers(listing.json())

    questions = other_client.get(QUESTIONS, {"quiz": quiz.pk})
    assert questions.status_code == 200
    assert questions.json()["count"] == len(QUESTION_SET)
    assert_no_answers(questions.json())
    assert all(q["explanation"] is None for q in questions.json()["results"])

    one = Question.objects.filter(quiz=quiz).earliest("id")
    single = other_client.get(f"{QUESTIONS}{one.pk}/")
    assert single.status_code == 200
    assert_no_answers(single.json())


def test_private_quiz_is_hidden_from_others(make_quiz, other_client, auth_client):
    private = make_quiz(is_public=False)
    assert other_client.get(quiz_url(private.pk)).json()["error"]["code"] == "not_found"
    assert other_client.get(quiz_url(private.pk)).status_code == 404
    assert other_client.get(QUIZZES).json()["count"] == 0
    assert other_client.get(QUESTIONS, {"quiz": private.pk}).json()["count"] == 0
    assert other_client.patch(quiz_url(private.pk), {"title": "x"}).status_code == 404
    assert other_client.delete(quiz_url(private.pk)).status_code == 404
    assert auth_client.get(quiz_url(private.pk)).status_code == 200


def test_only_the_owner_changes_a_public_quiz(quiz, other_client, auth_client):
    response = other_client.patch(quiz_url(quiz.pk), {"title": "mine now"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert other_client.delete(quiz_url(quiz.pk)).status_code == 403

    response = auth_client.patch(
        quiz_url(quiz.pk), {"title": "Renamed", "max_attempts": 2}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["title"] == "Renamed"
    assert response.json()["max_attempts"] == 2
    assert auth_client.put(quiz_url(quiz.pk), {"difficulty": "hard"}).status_code == 400
    assert auth_client.delete(quiz_url(quiz.pk)).status_code == 204
    assert not Quiz.objects.filter(pk=quiz.pk).exists()


def test_filters_and_search(make_quiz, other_user, auth_client, subject):
    make_quiz(title="Korean history", difficulty="hard")
    make_quiz(title="World history", difficulty="easy", subject_id=None)
    make_quiz(owner=other_user, title="Other's private", is_public=False)

    def titles(**query):
        response = auth_client.get(QUIZZES, query)
        assert response.status_code == 200
        return sorted(q["title"] for q in response.json()["results"])

    assert titles() == ["Korean history", "World history"]
    assert titles(difficulty="hard") == ["Korean history"]
    assert titles(search="WORLD") == ["World history"]
    assert titles(subject=subject.pk) == ["Korean history"]
    assert titles(subject=subject.pk + 1) == []
    assert titles(question_type="essay") == []
    assert titles(question_type="true_false") == ["Korean history", "World history"]
    assert auth_client.get(QUIZZES, {"difficulty": "trivial"}).status_code == 400


def test_list_queries_do_not_grow_with_quizzes(
    make_quiz, auth_client, django_assert_max_num_queries
):
    for _ in range(5):
        make_quiz()
    with django_assert_max_num_queries(8):
        response = auth_client.get(QUIZZES)
    assert response.json()["count"] == 5


def test_add_question_to_own_quiz(quiz, auth_client, other_client):
    body = {
        "quiz": quiz.pk,
        "question_type": "essay",
        "text": "Explain photosynthesis.",
        "rubric": [{"name": "Accuracy", "points": 6}, {"name": "Clarity", "points": 4}],
    }
    response = auth_client.post(QUESTIONS, body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["points"] == 10  # the rubric's total
    assert response.json()["rubric"][0]["name"] == "Accuracy"
    assert other_client.post(QUESTIONS, body, format="json").status_code == 403


def test_subject_must_be_visible(auth_client, other_user):
    from tests.study.factories import SubjectFactory

    hidden = SubjectFactory.create(created_by=other_user, is_public=False)
    response = auth_client.post(QUIZZES, {"title": "t", "subject": hidden.pk}, format="json")
    assert response.status_code == 404


def test_requires_authentication(api_client):
    assert api_client.get(QUIZZES).status_code == 401


def test_question_detail_edit_and_delete(quiz, auth_client, other_client):
    question = Question.objects.get(quiz=quiz, question_type="multiple_choice")
    url = f"{QUESTIONS}{question.pk}/"
    new_choices = [{"text": "인천", "is_correct": False}, {"text": "서울", "is_correct": True}]

    assert other_client.patch(url, {"text": "x"}, format="json").status_code == 403
    response = auth_client.patch(url, {"text": "수도는?", "choices": new_choices}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["text"] == "수도는?"
    assert [c["text"] for c in response.json()["choices"]] == ["인천", "서울"]
    bad = auth_client.patch(url, {"choices": [{"text": "a"}, {"text": "b"}]}, format="json")
    assert bad.status_code == 400
    assert auth_client.put(url, {"text": "only text"}, format="json").status_code == 400

    assert other_client.delete(url).status_code == 403
    assert auth_client.delete(url).status_code == 204
    assert auth_client.get(url).status_code == 404


def test_choices_of_an_answered_question_stay(quiz, auth_client, other_user):
    from quiz import services

    question = Question.objects.get(quiz=quiz, question_type="multiple_choice")
    attempt = services.attempt_start(user=other_user, quiz_id=quiz.pk)
    services.answer_submit(
        user=other_user,
        attempt_id=attempt.pk,
        question_id=question.pk,
        answer=question.choices.earliest("id").pk,
    )
    url = f"{QUESTIONS}{question.pk}/"
    choices = [{"text": "a", "is_correct": True}, {"text": "b"}]
    response = auth_client.patch(url, {"choices": choices}, format="json")
    assert response.status_code == 409
    assert auth_client.patch(url, {"points": 5}, format="json").json()["points"] == 5


def test_private_question_is_hidden(make_quiz, other_client):
    private = make_quiz(is_public=False)
    question = Question.objects.filter(quiz=private).earliest("id")
    assert other_client.get(f"{QUESTIONS}{question.pk}/").status_code == 404
    assert other_client.patch(f"{QUESTIONS}{question.pk}/", {"text": "x"}).status_code == 404


def test_a_quiz_others_have_taken_cannot_be_deleted(quiz, auth_client, other_client):
    assert other_client.post(f"{quiz_url(quiz.pk)}attempts/").status_code == 201
    response = auth_client.delete(quiz_url(quiz.pk))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert auth_client.patch(quiz_url(quiz.pk), {"is_public": False}).status_code == 200
