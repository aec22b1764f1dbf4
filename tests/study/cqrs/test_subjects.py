"""`/api/cqrs/subjects/`: creating a subject (SubjectCreated) and the list."""

from __future__ import annotations

import pytest

from study.models import Subject
from studymate_api.core.models import DomainEvent
from tests.study.factories import SubjectFactory

from .conftest import ANALYTICS, PROGRESS, SUBJECTS, SUMMARIES, generate_url, stream, unpublished

pytestmark = pytest.mark.django_db

BODY = {"name": "Linear algebra", "category": "math", "difficulty_level": "advanced"}


class TestCreate:
    def test_creates_the_subject_and_records_subject_created(self, auth_client, user, commit_hooks):
        with commit_hooks():
            response = auth_client.post(SUBJECTS, {**BODY, "tags": ["vectors"]}, format="json")

        assert response.status_code == 201
        body = response.json()
        subject = Subject.objects.get(pk=body["id"])
        assert subject.created_by == user
        assert body["name"] == "Linear algebra"
        assert body["is_public"] is False
        assert body["tags"] == ["vectors"]
        assert body["created_by"] == user.pk
        assert stream("subject", subject.pk) == [("SubjectCreated", 1)]
        event = DomainEvent.objects.get(aggregate_type="subject")
        assert event.user == user
        assert event.payload["name"] == "Linear algebra"
        assert unpublished() == []

    def test_counts_in_the_analytics(self, auth_client, commit_hooks):
        with commit_hooks():
            auth_client.post(SUBJECTS, BODY, format="json")
            auth_client.post(SUBJECTS, {"name": "Geometry"}, format="json")

        body = auth_client.get(ANALYTICS).json()
        assert body["subjects_created"] == 2
        assert body["last_activity_at"] is not None

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            ({}, "name"),
            ({"name": ""}, "name"),
            ({"name": "x" * 201}, "name"),
            ({"name": "Ok", "difficulty_level": "expert"}, "difficulty_level"),
            ({"name": "Ok", "created_by": 1}, "created_by"),
        ],
    )
    def test_validation(self, auth_client, payload, field):
        response = auth_client.post(SUBJECTS, payload, format="json")

        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "validation_error"
        assert field in error["fields"]
        assert not Subject.objects.exists()
        assert not DomainEvent.objects.exists()


class TestList:
    def test_public_and_own_subjects_paginated(
        self, auth_client, subject, public_subject, hidden_subject, django_assert_max_num_queries
    ):
        with django_assert_max_num_queries(6):
            response = auth_client.get(SUBJECTS, {"page_size": 1})

        assert response.status_code == 200
        body = response.json()
        assert body["count"] == 2
        assert [row["name"] for row in body["results"]] == ["Biology"]
        assert body["next"].endswith("page=2&page_size=1")
        assert body["previous"] is None
        second = auth_client.get(body["next"]).json()
        assert [row["name"] for row in second["results"]] == ["History"]

    def test_filters(self, auth_client, subject, public_subject):
        SubjectFactory.create(is_public=True, category="art", name="Painting")

        names = lambda **q: [r["name"] for r in auth_client.get(SUBJECTS, q).json()["results"]]  # noqa: E731

        assert names(category="art") == ["Painting"]
        assert names(is_public="false") == ["Biology"]
        assert names(search="hist") == ["History"]

    def test_bad_filter_and_page(self, auth_client):
        response = auth_client.get(SUBJECTS, {"difficulty_level": "expert"})
        assert response.status_code == 400
        assert "difficulty_level" in response.json()["error"]["fields"]
        assert auth_client.get(SUBJECTS, {"page": 5}).json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", SUBJECTS),
        ("post", SUBJECTS),
        ("post", generate_url(1)),
        ("get", SUMMARIES),
        ("get", PROGRESS),
        ("post", PROGRESS),
        ("get", ANALYTICS),
    ],
)
def test_requires_authentication(api_client, method, path):
    response = getattr(api_client, method)(path)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_a_rest_subject_leaves_the_same_event(auth_client, user):
    response = auth_client.post("/api/study/subjects/", {"name": "Chemistry"})
    assert response.status_code == 201
    assert stream("subject", response.json()["id"]) == [("SubjectCreated", 1)]
