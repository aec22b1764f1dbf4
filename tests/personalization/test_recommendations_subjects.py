"""GET /api/study/subjects/personalized_recommendations/: the same engine, subjects only."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import User
from study import services as study_services
from tests.study.factories import SubjectFactory

from .test_recommendations_api import URL as ALL_URL
from .test_recommendations_api import answer_all, true_false_quiz

pytestmark = pytest.mark.django_db
URL = "/api/study/subjects/personalized_recommendations/"
EN = {"Accept-Language": "en"}
SUBJECT_FIELDS = {
    "id",
    "name",
    "description",
    "category",
    "difficulty_level",
    "is_public",
    "tags",
    "created_by",
    "created_at",
    "updated_at",
}


def recommend(client: APIClient, **query: Any) -> list[dict[str, Any]]:
    response = client.get(URL, query, headers=EN)
    assert response.status_code == 200, response.content
    return list(response.json())


@pytest.fixture
def commit_hooks(
    django_capture_on_commit_callbacks: Callable[..., AbstractContextManager[Any]],
) -> Callable[[], AbstractContextManager[Any]]:
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_prefers_unstarted_subjects_like_the_studied_ones(auth_client, user, other_user):
    algebra = SubjectFactory.create(name="Algebra", category="math", created_by=other_user)
    study_services.progress_log(user=user, subject_id=algebra.pk, minutes=60)
    geometry = SubjectFactory.create(name="Geometry", category="math", created_by=other_user)
    SubjectFactory.create(name="Poetry", category="literature", created_by=other_user)
    SubjectFactory.create(name="Hidden math", category="math", is_public=False)
    body = recommend(auth_client)
    assert [item["subject"]["name"] for item in body] == ["Geometry", "Poetry"]
    assert body[0]["subject"]["id"] == geometry.pk
    assert body[0]["score"] > body[1]["score"]
    assert body[0]["reason"] == "Similar to Algebra, which you study"
    assert body[1]["reason"] == "A new subject to explore"
    assert set(body[0]) == {"subject", "score", "reason"}
    assert set(body[0]["subject"]) == SUBJECT_FIELDS


def test_cold_start_ranks_by_popularity(auth_client, user, other_user):
    popular = SubjectFactory.create(name="Popular", created_by=other_user)
    SubjectFactory.create(name="Quiet", created_by=other_user)
    study_services.progress_log(user=other_user, subject_id=popular.pk, minutes=5)
    body = recommend(auth_client, limit=5)
    assert [item["subject"]["name"] for item in body] == ["Popular", "Quiet"]
    assert body[0]["reason"] == "1 learner studies it"


def test_one_suggestion_per_subject_the_best_one(auth_client, user, other_user, graded_answer):
    biology = SubjectFactory.create(name="Biology", created_by=other_user)
    quiz = true_false_quiz(other_user, biology, [["osmosis"]] * 5)
    answer_all(user, quiz, lambda q: False, graded_answer)
    body = recommend(auth_client)
    assert [item["subject"]["name"] for item in body] == ["Biology"]
    # Due reviews of the wrong answers outrank the weak topic of the same subject.
    assert body[0]["reason"] == "5 reviews are due in Biology"
    everything = auth_client.get(ALL_URL, headers=EN).json()
    assert {r["type"] for r in everything} >= {"review", "weak_topic"}


def test_logging_study_time_refreshes_the_list(auth_client, user, other_user, commit_hooks):
    first = SubjectFactory.create(name="First", created_by=other_user)
    SubjectFactory.create(name="Second", created_by=other_user)
    assert [item["subject"]["name"] for item in recommend(auth_client)] == ["First", "Second"]
    with commit_hooks():
        response = auth_client.post("/api/study/progress/", {"subject_id": first.pk, "minutes": 30})
        assert response.status_code == 201, response.content
    assert [item["subject"]["name"] for item in recommend(auth_client)] == ["Second"]


def test_shares_the_cached_computation_with_the_full_list(auth_client, other_user):
    SubjectFactory.create(name="First", created_by=other_user)
    assert auth_client.get(ALL_URL, headers=EN).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert len(recommend(auth_client)) == 1
    assert len(queries.captured_queries) == 1  # the token's user


@pytest.mark.parametrize("limit", ["0", "51"])
def test_limit_is_validated(auth_client: APIClient, limit: str) -> None:
    response = auth_client.get(URL, {"limit": limit})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_requires_authentication(api_client: APIClient) -> None:
    assert api_client.get(URL).status_code == 401


def test_documented_under_the_study_path(auth_client: APIClient, user: User) -> None:
    schema = auth_client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/study/subjects/personalized_recommendations/"]["get"]
    assert operation["operationId"] == "study_subjects_personalized_recommendations_list"
    assert "/api/personalization/recommendations/" in schema["paths"]
