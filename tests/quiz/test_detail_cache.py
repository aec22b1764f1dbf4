"""`GET /api/quiz/quizzes/{id}/` is cached once per quiz for every viewer: a warm read costs no
query, answers what a cold read answers, shows answers only to the owner, keeps another learner's
private quiz a 404, and every write that changes the detail invalidates it after commit."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from rest_framework.renderers import JSONRenderer

from quiz import selectors
from quiz.models import Question
from quiz.serializers import QuizOutputSerializer
from tests.conftest import admin_signed_in
from tests.factories import UserFactory

from .conftest import QUESTIONS, QUIZZES, quiz_url

SUBJECTS = "/api/study/subjects/"


def _question(quiz, position: int = 0) -> Question:
    return Question.objects.filter(quiz=quiz).order_by("order", "id")[position]


class TestWarmReads:
    def test_a_warm_read_costs_no_query_and_answers_the_cold_body(
        self,
        quiz,
        auth_client,
        other_client,
        django_assert_num_queries,
        django_assert_max_num_queries,
    ):
        with django_assert_num_queries(3):  # the quiz, its questions, their choices
            cold_owner = auth_client.get(quiz_url(quiz.pk))
        cold_other = other_client.get(quiz_url(quiz.pk))
        with django_assert_max_num_queries(0):
            warm_owner = auth_client.get(quiz_url(quiz.pk))
        with django_assert_max_num_queries(0):
            warm_other = other_client.get(quiz_url(quiz.pk))
        assert cold_owner.status_code == warm_owner.status_code == 200
        assert cold_other.status_code == warm_other.status_code == 200
        assert warm_owner.content == cold_owner.content
        assert warm_other.content == cold_other.content
        assert warm_owner["Content-Type"] == "application/json"

    def test_bodies_are_what_the_serializer_renders_for_each_viewer(
        self, quiz, user, other_user, auth_client, other_client
    ):
        """Warmed by another learner, the owner still gets the answers; warmed by the owner,
        another learner still does not."""
        other_first = other_client.get(quiz_url(quiz.pk)).content
        owner = auth_client.get(quiz_url(quiz.pk)).content
        other = other_client.get(quiz_url(quiz.pk)).content
        for viewer, body in ((user, owner), (other_user, other)):
            loaded = selectors.access_quiz(user=viewer, quiz_id=quiz.pk)
            rendered = QuizOutputSerializer(loaded, context={"user_id": viewer.pk}).data
            assert body == JSONRenderer().render(rendered)
        assert other == other_first
        owner_questions = json.loads(owner)["questions"]
        other_questions = json.loads(other)["questions"]
        assert owner_questions[0]["choices"][1]["is_correct"] is True
        assert owner_questions[0]["explanation"]
        assert owner_questions[2]["accepted_answers"] == ["true"]
        assert all("is_correct" not in c for q in other_questions for c in q["choices"])
        assert all(q["explanation"] is None for q in other_questions)
        assert all("accepted_answers" not in q for q in other_questions)

    def test_the_list_and_the_detail_agree(self, quiz, auth_client, other_client):
        for client in (auth_client, other_client):
            listed = client.get(QUIZZES).json()["results"]
            detail = client.get(quiz_url(quiz.pk)).json()
            assert [q for q in listed if q["id"] == quiz.pk] == [detail]

    def test_an_etag_is_answered_304_and_changes_with_an_edit(
        self, quiz, auth_client, commit_hooks, django_assert_max_num_queries
    ):
        etag = auth_client.get(quiz_url(quiz.pk))["ETag"]
        with django_assert_max_num_queries(0):
            assert auth_client.get(quiz_url(quiz.pk), HTTP_IF_NONE_MATCH=etag).status_code == 304
        with commit_hooks():
            auth_client.patch(quiz_url(quiz.pk), {"title": "Renamed"})
        response = auth_client.get(quiz_url(quiz.pk), HTTP_IF_NONE_MATCH=etag)
        assert response.status_code == 200
        assert response["ETag"] != etag
        assert response.json()["title"] == "Renamed"


class TestAccess:
    def test_a_private_quiz_cached_by_its_owner_stays_not_found_for_others(
        self, make_quiz, auth_client, other_client, django_assert_max_num_queries
    ):
        private = make_quiz(is_public=False)
        assert auth_client.get(quiz_url(private.pk)).status_code == 200
        for _ in range(2):
            with django_assert_max_num_queries(0):
                response = other_client.get(quiz_url(private.pk))
            assert response.status_code == 404
            assert response.json()["error"]["code"] == "not_found"
            assert "questions" not in response.content.decode()
        assert auth_client.get(quiz_url(private.pk)).status_code == 200

    def test_a_quiz_turned_private_stops_being_served_to_others_at_once(
        self, quiz, auth_client, other_client, commit_hooks
    ):
        assert other_client.get(quiz_url(quiz.pk)).status_code == 200
        assert auth_client.get(quiz_url(quiz.pk)).status_code == 200
        with commit_hooks():
            assert auth_client.patch(quiz_url(quiz.pk), {"is_public": False}).status_code == 200
        assert other_client.get(quiz_url(quiz.pk)).status_code == 404
        assert auth_client.get(quiz_url(quiz.pk)).json()["is_public"] is False
        with commit_hooks():
            auth_client.patch(quiz_url(quiz.pk), {"is_public": True})
        assert other_client.get(quiz_url(quiz.pk)).status_code == 200

    def test_a_missing_quiz_is_not_found_until_it_is_created(self, quiz, auth_client, commit_hooks):
        """The absence is cached too; creating the quiz invalidates it."""
        upcoming = quiz.pk + 1  # the next id the table hands out (nothing else inserts here)
        assert auth_client.get(quiz_url(upcoming)).status_code == 404
        assert auth_client.get(quiz_url(upcoming)).status_code == 404
        with commit_hooks():
            created = auth_client.post(QUIZZES, {"title": "Next"}, format="json").json()
        assert created["id"] == upcoming
        assert auth_client.get(quiz_url(upcoming)).json()["title"] == "Next"


def _edit_quiz(client, quiz) -> None:
    assert client.patch(quiz_url(quiz.pk), {"title": "Renamed"}).status_code == 200


def _replace_quiz(client, quiz) -> None:
    body = {"title": "Replaced", "difficulty": "hard", "time_limit_minutes": 5}
    assert client.put(quiz_url(quiz.pk), body).status_code == 200


def _add_question(client, quiz) -> None:
    body = {
        "quiz_id": quiz.pk,
        "question_type": "true_false",
        "text": "Added later",
        "accepted_answers": ["false"],
    }
    assert client.post(QUESTIONS, body).status_code == 201


def _edit_question(client, quiz) -> None:
    url = f"{QUESTIONS}{_question(quiz).pk}/"
    assert client.patch(url, {"text": "Edited", "explanation": "New why"}).status_code == 200


def _replace_choices(client, quiz) -> None:
    question = _question(quiz)
    choices = [{"text": "Left", "is_correct": False}, {"text": "Right", "is_correct": True}]
    body = {"question_type": "multiple_choice", "text": question.text, "choices": choices}
    assert client.put(f"{QUESTIONS}{question.pk}/", body).status_code == 200


def _delete_question(client, quiz) -> None:
    assert client.delete(f"{QUESTIONS}{_question(quiz).pk}/").status_code == 204


def _delete_subject(client, quiz) -> None:
    assert client.delete(f"{SUBJECTS}{quiz.subject_id}/").status_code == 204


def _view(body: dict) -> dict:
    """What the edits above change, in both viewers' bodies."""
    first = body["questions"][0]
    return {
        "title": body["title"],
        "difficulty": body["difficulty"],
        "time_limit_minutes": body["time_limit_minutes"],
        "subject": body["subject"],
        "questions": [q["text"] for q in body["questions"]],
        "first choices": [c["text"] for c in first["choices"]],
        "first correct": [c.get("is_correct") for c in first["choices"]],
        "first explanation": first["explanation"],
    }


@pytest.mark.parametrize(
    "write",
    [
        _edit_quiz,
        _replace_quiz,
        _add_question,
        _edit_question,
        _replace_choices,
        _delete_question,
        _delete_subject,
    ],
)
def test_every_write_that_changes_the_detail_invalidates_it(
    write, quiz, auth_client, other_client, commit_hooks
):
    before = {
        "owner": _view(auth_client.get(quiz_url(quiz.pk)).json()),
        "other": _view(other_client.get(quiz_url(quiz.pk)).json()),
    }
    with commit_hooks():
        write(auth_client, quiz)
    after = {
        "owner": _view(auth_client.get(quiz_url(quiz.pk)).json()),
        "other": _view(other_client.get(quiz_url(quiz.pk)).json()),
    }
    assert after["owner"] != before["owner"]
    assert after["other"] != before["other"]
    # What a cold read answers now: the cache holds nothing older than the rows.
    loaded = selectors.access_quiz(user=quiz.owner, quiz_id=quiz.pk)
    fresh = json.loads(JSONRenderer().render(QuizOutputSerializer(loaded, context={}).data))
    assert after["other"] == _view(fresh)


def test_deleting_a_quiz_makes_its_cached_detail_not_found(
    quiz, auth_client, other_client, commit_hooks
):
    assert other_client.get(quiz_url(quiz.pk)).status_code == 200
    with commit_hooks():
        assert auth_client.delete(quiz_url(quiz.pk)).status_code == 204
    assert auth_client.get(quiz_url(quiz.pk)).status_code == 404
    assert other_client.get(quiz_url(quiz.pk)).status_code == 404


def test_without_invalidation_the_cache_answers(quiz, auth_client):
    """What the tests above rely on: the cached detail is served until a tag changes."""
    assert auth_client.get(quiz_url(quiz.pk)).json()["title"] == "Mixed quiz"
    type(quiz).objects.filter(pk=quiz.pk).update(title="Changed behind the services")
    assert auth_client.get(quiz_url(quiz.pk)).json()["title"] == "Mixed quiz"


class TestAdminWrites:
    """The admin bypasses the services; its writes invalidate the cached detail all the same."""

    @pytest.fixture
    def admin(self):
        client = Client()
        admin_signed_in(client, UserFactory.create(is_staff=True, is_superuser=True))
        return client

    def test_a_quiz_made_private_in_the_admin_is_hidden_at_once(
        self, quiz, admin, other_client, commit_hooks
    ):
        assert other_client.get(quiz_url(quiz.pk)).status_code == 200
        form = {
            "title": quiz.title,
            "owner": quiz.owner_id,
            "subject": quiz.subject_id,
            "difficulty": quiz.difficulty,
            "pass_percentage": quiz.pass_percentage,
            "show_answers": quiz.show_answers,
            # is_public left out: unchecked. No inline forms: the questions stay as they are.
            "questions-TOTAL_FORMS": 0,
            "questions-INITIAL_FORMS": 0,
        }
        with commit_hooks():
            response = admin.post(f"/admin/quiz/quiz/{quiz.pk}/change/", form)
        assert response.status_code == 302, response.content
        assert other_client.get(quiz_url(quiz.pk)).status_code == 404

    def test_choice_edits_and_question_deletes_in_the_admin(
        self, quiz, admin, auth_client, commit_hooks
    ):
        before = auth_client.get(quiz_url(quiz.pk)).json()
        choice = _question(quiz).choices.order_by("order", "id")[0]
        form = {"question": choice.question_id, "text": "Incheon", "order": choice.order}
        with commit_hooks():
            response = admin.post(f"/admin/quiz/choice/{choice.pk}/change/", form)
        assert response.status_code == 302, response.content
        edited = auth_client.get(quiz_url(quiz.pk)).json()
        assert edited["questions"][0]["choices"][0]["text"] == "Incheon"
        last = _question(quiz, len(before["questions"]) - 1)
        action = {"action": "delete_selected", "_selected_action": [last.pk], "post": "yes"}
        with commit_hooks():
            assert admin.post("/admin/quiz/question/", action).status_code == 302
        after = auth_client.get(quiz_url(quiz.pk)).json()
        assert [q["id"] for q in after["questions"]] == [q["id"] for q in before["questions"]][:-1]
