"""GET /api/personalization/recommendations/: sources, reasons, privacy, diversity, caching."""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from personalization.models import ReviewCard, ReviewKind
from quiz import services as quiz_services
from quiz.models import Question, Quiz, UserAnswer
from study import services as study_services
from study.models import StudyGoal, Subject
from tests.conftest import signed_in_client
from tests.factories import UserFactory
from tests.study.factories import SubjectFactory

from .conftest import answered

pytestmark = pytest.mark.django_db
URL = "/api/personalization/recommendations/"
EN = {"Accept-Language": "en"}
GradedAnswer = Callable[[User, Question, bool], UserAnswer]


def recommend(client: APIClient, **query: Any) -> list[dict[str, Any]]:
    response = client.get(URL, query, headers=EN)
    assert response.status_code == 200, response.content
    return list(response.json())


@pytest.fixture
def commit_hooks(
    django_capture_on_commit_callbacks: Callable[..., AbstractContextManager[Any]],
) -> Callable[[], AbstractContextManager[Any]]:
    return lambda: django_capture_on_commit_callbacks(execute=True)


def true_false_quiz(owner: User, subject: Subject | None, topics: list[list[str]], **fields: Any):
    questions = [
        {"question_type": "true_false", "text": f"Q{n}", "accepted_answers": ["true"], "topics": t}
        for n, t in enumerate(topics)
    ]
    values = {"title": "Practice", "is_public": True, **fields}
    if subject is not None:
        values["subject_id"] = subject.pk
    return quiz_services.quiz_create(owner=owner, questions=questions, **values)


def answer_all(learner: User, quiz: Quiz, correct: Callable[[Question], bool], graded_answer):
    for question in quiz.questions.order_by("id"):
        answered(graded_answer, learner, question, correct(question))


@pytest.fixture
def biology_learner(user: User, other_user: User, graded_answer: GradedAnswer) -> Subject:
    """`user` answers Biology questions: every "cell membranes" one wrong, every "genetics"
    one right (the right ones last)."""
    biology = SubjectFactory.create(name="Biology", category="biology", created_by=other_user)
    quiz = true_false_quiz(other_user, biology, [["cell membranes"]] * 6 + [["genetics"]] * 6)
    answer_all(user, quiz, lambda q: q.topics == ["genetics"], graded_answer)
    return biology


class TestWeakTopics:
    def test_the_reason_names_the_weakest_topic(self, auth_client, biology_learner):
        weak = [r for r in recommend(auth_client) if r["type"] == "weak_topic"]
        assert [r["item"]["topic"] for r in weak] == ["cell membranes"]
        reason = weak[0]["reason"]
        assert reason.startswith("Your weakest topic in Biology: cell membranes (")
        assert reason.endswith("% predicted)")
        item = weak[0]["item"]
        assert item["subject"]["id"] == biology_learner.pk
        assert item["predicted_success"] < 0.7
        assert f"{round(100 * item['predicted_success'])}% predicted" in reason
        assert item["quiz"]["title"] == "Practice"

    def test_weak_topics_come_before_popular_items(self, auth_client, biology_learner, other_user):
        SubjectFactory.create_batch(3, created_by=other_user)
        ranked = recommend(auth_client)
        # The wrong answers became review cards (due now), the only thing ranked higher.
        assert [r["type"] for r in ranked[:2]] == ["review", "weak_topic"]
        assert {r["type"] for r in ranked[2:]} == {"popular_subject"}
        assert ranked == sorted(ranked, key=lambda r: -r["score"])

    def test_ranked_by_predicted_success_not_by_correct_answers(
        self, auth_client, user, other_user, graded_answer
    ):
        """ "respiration": wrong, wrong, right (1 correct of 3); then "photosynthesis": four
        right, three wrong (4 of 7), the latest answers. The model predicts lower success on
        photosynthesis, where the learner has been failing lately: it comes first."""
        biology = SubjectFactory.create(name="Biology", created_by=other_user)
        outcomes = [False, False, True, True, True, True, True, False, False, False]
        topics = [["respiration"]] * 3 + [["photosynthesis"]] * 7
        quiz = true_false_quiz(other_user, biology, topics)
        for question, correct in zip(quiz.questions.order_by("id"), outcomes, strict=True):
            answered(graded_answer, user, question, correct)
        weak = [r for r in recommend(auth_client) if r["type"] == "weak_topic"]
        assert [r["item"]["topic"] for r in weak] == ["photosynthesis", "respiration"]
        first, second = (r["item"] for r in weak)
        assert first["predicted_success"] < second["predicted_success"] < 0.7
        assert (first["answers"], second["answers"]) == (7, 3)
        assert weak[0]["reason"].startswith("Your weakest topic in Biology: photosynthesis (")
        assert weak[1]["reason"].startswith("A weak topic in Biology: respiration (")
        assert weak[0]["score"] > weak[1]["score"]

    def test_weak_topics_across_subjects_in_the_order_of_predicted_success(
        self, auth_client, user, other_user, graded_answer
    ):
        """One wrong answer already makes a weak topic; ten answers (eight right, two wrong
        last) on another subject's topic say the learner does better there: the topic with
        one answer comes first, whatever the evidence behind each."""
        history = SubjectFactory.create(name="History", created_by=other_user)
        chemistry = SubjectFactory.create(name="Chemistry", created_by=other_user)
        dates = true_false_quiz(other_user, history, [["dates"]])
        answer_all(user, dates, lambda q: False, graded_answer)
        quiz = true_false_quiz(other_user, chemistry, [["bonds"]] * 10)
        outcomes = [True] * 8 + [False] * 2
        for question, correct in zip(quiz.questions.order_by("id"), outcomes, strict=True):
            answered(graded_answer, user, question, correct)
        weak = [r for r in recommend(auth_client) if r["type"] == "weak_topic"]
        assert [(r["item"]["topic"], r["item"]["answers"]) for r in weak] == [
            ("dates", 1),
            ("bonds", 10),
        ]
        assert weak[0]["item"]["predicted_success"] < weak[1]["item"]["predicted_success"]
        assert weak[0]["score"] > weak[1]["score"]

    def test_a_learner_doing_well_has_no_weak_topic(
        self, auth_client, user, other_user, graded_answer
    ):
        quiz = true_false_quiz(other_user, SubjectFactory.create(), [["algebra"]] * 8)
        answer_all(user, quiz, lambda q: True, graded_answer)
        assert not [r for r in recommend(auth_client) if r["type"] == "weak_topic"]


class TestPrivacy:
    def test_never_another_learners_private_subject_or_quiz(
        self, auth_client, user, other_user, graded_answer
    ):
        mine = SubjectFactory.create(
            name="My notes", category="biology", created_by=user, is_public=False
        )
        hidden = SubjectFactory.create(
            name="Secret diary", category="biology", created_by=other_user, is_public=False
        )
        study_services.progress_log(user=user, subject_id=mine.pk, minutes=120)
        # A public quiz filed under the other learner's private subject, without topics: its
        # skill is named after that subject, which the learner must not learn.
        leaky = true_false_quiz(other_user, hidden, [[]] * 6)
        answer_all(user, leaky, lambda q: False, graded_answer)
        true_false_quiz(other_user, hidden, [["x"]], title="Private quiz", is_public=False)
        true_false_quiz(other_user, None, [["x"]], title="Public quiz")
        SubjectFactory.create(name="Cell biology", category="biology", created_by=other_user)
        SubjectFactory.create(name="Poetry", category="literature", created_by=other_user)

        body = recommend(auth_client, limit=50)
        text = str(body)
        assert "Secret diary" not in text
        assert "Private quiz" not in text
        assert hidden.pk not in {(r["item"].get("subject") or {}).get("id") for r in body}
        types = {r["type"] for r in body}
        assert {"similar_subject", "popular_subject", "popular_quiz"} <= types

    def test_a_weak_topic_in_a_hidden_subject_does_not_name_the_subject(
        self, auth_client, user, other_user, graded_answer
    ):
        hidden = SubjectFactory.create(name="Secret diary", created_by=other_user, is_public=False)
        answer_all(
            user,
            true_false_quiz(other_user, hidden, [["fractions"]] * 6),
            lambda q: False,
            graded_answer,
        )
        weak = [r for r in recommend(auth_client) if r["type"] == "weak_topic"]
        assert len(weak) == 1
        assert weak[0]["reason"].startswith("Your weakest topic: fractions (")
        assert weak[0]["item"]["subject"] is None
        assert weak[0]["item"]["quiz"] is None


class TestColdStart:
    def test_a_new_learner_gets_popular_subjects_and_quizzes(self, auth_client, other_user):
        busy = SubjectFactory.create(name="Busy", created_by=other_user)
        SubjectFactory.create(name="Quiet", created_by=other_user)
        for learner in UserFactory.create_batch(2):
            study_services.progress_log(user=learner, subject_id=busy.pk, minutes=10)
        true_false_quiz(other_user, busy, [["x"]], title="Starter quiz")
        body = recommend(auth_client)
        assert {r["type"] for r in body} == {"popular_subject", "popular_quiz"}
        subjects = [r for r in body if r["type"] == "popular_subject"]
        assert [r["item"]["subject"]["name"] for r in subjects] == ["Busy", "Quiet"]
        assert subjects[0]["reason"] == "2 learners study it"
        assert subjects[0]["item"]["learner_count"] == 2
        quiz = next(r for r in body if r["type"] == "popular_quiz")
        assert quiz["item"]["quiz"]["title"] == "Starter quiz"
        assert quiz["reason"] == "A new quiz to try"

    def test_started_subjects_and_taken_quizzes_are_not_offered_again(
        self, auth_client, user, other_user
    ):
        started = SubjectFactory.create(name="Started", created_by=other_user)
        study_services.progress_log(user=user, subject_id=started.pk, minutes=10)
        quiz = true_false_quiz(other_user, None, [["x"]], title="Taken")
        quiz_services.attempt_start(user=user, quiz_id=quiz.pk)
        body = recommend(auth_client, limit=50)
        assert started.pk not in {(r["item"]["subject"] or {}).get("id") for r in body}
        assert "Taken" not in str(body)


class TestOtherSources:
    def test_due_reviews_are_offered_first(self, auth_client, user, other_user):
        biology = SubjectFactory.create(name="Biology", created_by=other_user)
        SubjectFactory.create_batch(3, created_by=other_user)
        now = timezone.now()
        for n in range(3):
            ReviewCard.objects.create(
                user=user,
                kind=ReviewKind.CONCEPT,
                subject=biology,
                concept=f"c{n}",
                concept_key=f"c{n}",
                due=now - datetime.timedelta(days=n),
            )
        ReviewCard.objects.create(
            user=user, kind=ReviewKind.CONCEPT, concept="later", concept_key="later",
            subject=biology, due=now + datetime.timedelta(days=2),
        )  # fmt: skip
        top = recommend(auth_client)[0]
        assert top["type"] == "review"
        assert top["reason"] == "3 reviews are due in Biology"
        assert top["item"]["due_count"] == 3

    def test_a_goal_behind_pace_is_offered(self, auth_client, user, other_user):
        subject = SubjectFactory.create(name="Chemistry", created_by=other_user)
        goal = StudyGoal.objects.create(
            user=user,
            subject=subject,
            title="Exam",
            target_minutes=300,
            target_date=timezone.localdate() + datetime.timedelta(days=4),
        )
        StudyGoal.objects.filter(pk=goal.pk).update(
            created_at=timezone.now() - datetime.timedelta(days=5)
        )
        StudyGoal.objects.create(user=user, title="No date", target_minutes=300)
        goals = [r for r in recommend(auth_client) if r["type"] == "goal"]
        assert len(goals) == 1
        assert goals[0]["item"]["goal"]["id"] == goal.pk
        assert goals[0]["item"]["subject"]["name"] == "Chemistry"
        assert goals[0]["reason"].startswith("Behind on your goal “Exam”: 0 of 300 minutes with ")
        assert goals[0]["item"]["minutes_per_day"] >= 60

    def test_subjects_like_the_ones_the_learner_does_well_in(
        self, auth_client, user, other_user, graded_answer
    ):
        biology = SubjectFactory.create(
            name="Biology", category="biology", tags=["cells"], created_by=other_user
        )
        answer_all(
            user,
            true_false_quiz(other_user, biology, [["cells"]] * 8),
            lambda q: True,
            graded_answer,
        )
        SubjectFactory.create(
            name="Cell biology", category="biology", tags=["cells"], created_by=other_user
        )
        SubjectFactory.create(name="Poetry", category="literature", created_by=other_user)
        similar = [r for r in recommend(auth_client) if r["type"] == "similar_subject"]
        assert [r["item"]["subject"]["name"] for r in similar] == ["Cell biology"]
        assert similar[0]["reason"].startswith("Similar to Biology, where you do well (")
        assert similar[0]["item"]["similar_to"] == {"id": biology.pk, "name": "Biology"}


class TestDiversity:
    def test_at_most_three_of_a_type_in_the_top_ten(
        self, auth_client, user, other_user, graded_answer
    ):
        for n in range(6):  # six weak topics, the strongest signal of all
            subject = SubjectFactory.create(
                name=f"Weak {n}", category=f"c{n}", created_by=other_user
            )
            answer_all(
                user,
                true_false_quiz(other_user, subject, [[f"t{n}"]] * 4),
                lambda q: False,
                graded_answer,
            )
        for n in range(6):
            SubjectFactory.create(name=f"Popular {n}", category="other", created_by=other_user)
            true_false_quiz(other_user, None, [["x"]], title=f"Quiz {n}")
        body = recommend(auth_client, limit=20)
        top = Counter(r["type"] for r in body[:10])
        assert len(body) == 20
        assert max(top.values()) == 3
        assert top["weak_topic"] == top["review"] == top["popular_quiz"] == 3
        # The best of what the cap held back comes right after the top ten.
        assert [r["type"] for r in body[10:13]] == ["review"] * 3


class TestCaching:
    def test_a_finished_attempt_through_the_api_refreshes_the_recommendations(
        self, auth_client, user, other_user, commit_hooks
    ):
        """A fixed attempt's grades reach the learner model with its QuizCompleted."""
        biology = SubjectFactory.create(name="Biology", created_by=other_user)
        quiz = true_false_quiz(other_user, biology, [["osmosis"]] * 4)
        attempt = auth_client.post(f"/api/quiz/quizzes/{quiz.pk}/attempts/").json()
        assert not [r for r in recommend(auth_client) if r["type"] == "weak_topic"]
        for question in attempt["questions"]:
            with commit_hooks():
                body = {"attempt_id": attempt["id"], "question_id": question["id"], "answer": False}
                assert (
                    auth_client.post("/api/quiz/submit-answer/", body, format="json").status_code
                    == 200
                )
        with commit_hooks():
            finish = auth_client.post(f"/api/quiz/attempts/{attempt['id']}/finish/")
            assert finish.status_code == 200
        weak = [r for r in recommend(auth_client) if r["type"] == "weak_topic"]
        assert [r["item"]["topic"] for r in weak] == ["osmosis"]

    def test_served_from_the_cache_until_something_changes(self, auth_client, user, other_user):
        SubjectFactory.create(name="First", created_by=other_user)
        assert len(recommend(auth_client)) == 1
        with CaptureQueriesContext(connection) as queries:
            recommend(auth_client)
        assert len(queries.captured_queries) == 1  # the token's user
        SubjectFactory.create(name="Second", created_by=other_user)  # no service: no invalidation
        assert len(recommend(auth_client)) == 1

    def test_cached_per_learner(self, auth_client, user, other_user):
        biology = SubjectFactory.create(name="Biology", category="biology")
        SubjectFactory.create(name="My cells", category="biology", created_by=user, is_public=False)
        for learner in (user, other_user):
            study_services.progress_log(user=learner, subject_id=biology.pk, minutes=60)

        def similar(client: APIClient) -> list[str]:
            body = recommend(client)
            return [r["item"]["subject"]["name"] for r in body if r["type"] == "similar_subject"]

        assert similar(auth_client) == ["My cells"]
        assert similar(signed_in_client(other_user)) == []


def _cold_queries(client: APIClient) -> int:
    from django.core.cache import cache

    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        recommend(client)
    return len(queries.captured_queries)


def test_cold_query_count_does_not_grow_with_history(
    user: User, other_user: User, graded_answer: GradedAnswer, auth_client: APIClient
) -> None:
    def grow(n: int) -> None:
        for k in range(n):
            subject = SubjectFactory.create(name=f"S{n}{k}", category="bio", created_by=other_user)
            answer_all(
                user,
                true_false_quiz(other_user, subject, [[f"t{k}"]] * 4),
                lambda q: q.pk % 2 == 0,
                graded_answer,
            )
            study_services.progress_log(user=user, subject_id=subject.pk, minutes=30)
            StudyGoal.objects.create(
                user=user, subject=subject, title="g", target_minutes=900,
                target_date=timezone.localdate() + datetime.timedelta(days=3),
            )  # fmt: skip
            ReviewCard.objects.create(
                user=user, kind=ReviewKind.CONCEPT, concept="c", concept_key="c",
                subject=subject, due=timezone.now(),
            )  # fmt: skip
            SubjectFactory.create(name=f"New {n}{k}", category="bio", created_by=other_user)

    grow(2)
    few = _cold_queries(auth_client)
    grow(5)
    many = _cold_queries(auth_client)
    assert few == many
    assert many <= 20


@pytest.mark.parametrize("limit", ["0", "51", "x"])
def test_limit_is_validated(auth_client: APIClient, limit: str) -> None:
    response = auth_client.get(URL, {"limit": limit})
    assert response.status_code == 400
    assert response.json()["error"]["fields"].keys() == {"limit"}


def test_requires_authentication(api_client: APIClient) -> None:
    assert api_client.get(URL).status_code == 401
