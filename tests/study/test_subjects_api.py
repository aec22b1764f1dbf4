"""Subjects: CRUD, visibility, filters, popular subjects."""

from __future__ import annotations

import pytest

from study import services
from study.models import StudySummary, Subject
from study.serializers import PopularSubjectOutputSerializer, SubjectOutputSerializer
from tests.factories import UserFactory

from .factories import SubjectFactory

pytestmark = pytest.mark.django_db

SUBJECTS = "/api/study/subjects/"
POPULAR = "/api/study/subjects/popular/"


def detail(subject_id: int) -> str:
    return f"{SUBJECTS}{subject_id}/"


def names(response) -> list[str]:
    return [item["name"] for item in response.json()["results"]]


class TestCreate:
    def test_creates_a_private_subject_by_default(self, auth_client, user):
        response = auth_client.post(SUBJECTS, {"name": "선형대수", "category": "math"})
        assert response.status_code == 201
        body = response.json()
        assert body["is_public"] is False
        assert body["created_by"] == user.pk
        assert body["difficulty_level"] == "beginner"
        assert set(SubjectOutputSerializer().fields) == set(body)

    def test_name_is_required(self, auth_client):
        response = auth_client.post(SUBJECTS, {"category": "math"})
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "validation_error"
        assert "name" in response.json()["error"]["fields"]

    def test_bad_difficulty_is_refused(self, auth_client):
        response = auth_client.post(SUBJECTS, {"name": "x", "difficulty_level": "expert"})
        assert response.status_code == 400
        assert set(response.json()["error"]["fields"]) == {"difficulty_level"}

    def test_fields_that_cannot_be_set_are_refused(self, auth_client):
        response = auth_client.post(SUBJECTS, {"name": "x", "created_by": 1})
        assert response.status_code == 400
        assert set(response.json()["error"]["fields"]) == {"created_by"}

    def test_requires_authentication(self, api_client):
        response = api_client.get(SUBJECTS)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"


class TestVisibility:
    def test_list_has_public_and_own_private_subjects_only(
        self, auth_client, subject, public_subject, hidden_subject
    ):
        response = auth_client.get(SUBJECTS)
        assert response.status_code == 200
        assert names(response) == ["Biology", "History"]
        assert response.json()["count"] == 2

    def test_owner_sees_their_private_subject(self, other_client, hidden_subject, subject):
        assert "Secret diary" in names(other_client.get(SUBJECTS))
        assert "Biology" not in names(other_client.get(SUBJECTS))

    def test_another_users_private_subject_is_not_found(self, auth_client, hidden_subject):
        for method in ("get", "put", "patch", "delete"):
            response = getattr(auth_client, method)(detail(hidden_subject.pk), {"name": "x"})
            assert response.status_code == 404, method
            assert response.json()["error"]["code"] == "not_found"

    def test_public_subject_of_another_is_readable_not_editable(self, auth_client, public_subject):
        assert auth_client.get(detail(public_subject.pk)).status_code == 200
        response = auth_client.patch(detail(public_subject.pk), {"name": "Mine now"})
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "permission_denied"
        assert auth_client.delete(detail(public_subject.pk)).status_code == 403
        public_subject.refresh_from_db()
        assert public_subject.name == "History"


class TestUpdateAndDelete:
    def test_patch_changes_only_the_given_fields(self, auth_client, subject):
        response = auth_client.patch(detail(subject.pk), {"is_public": True, "tags": ["cells"]})
        assert response.status_code == 200
        assert response.json()["is_public"] is True
        assert response.json()["name"] == "Biology"
        subject.refresh_from_db()
        assert subject.tags == ["cells"]

    def test_put_needs_the_name(self, auth_client, subject):
        assert auth_client.put(detail(subject.pk), {"category": "bio"}).status_code == 400
        response = auth_client.put(detail(subject.pk), {"name": "Cell biology"})
        assert response.status_code == 200
        assert response.json()["name"] == "Cell biology"

    def test_owner_deletes(self, auth_client, subject):
        assert auth_client.delete(detail(subject.pk)).status_code == 204
        assert not Subject.objects.filter(pk=subject.pk).exists()

    def test_subject_other_learners_study_cannot_be_deleted(
        self, other_client, user, public_subject
    ):
        services.progress_log(user=user, subject_id=public_subject.pk, minutes=10)
        response = other_client.delete(detail(public_subject.pk))
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "conflict"
        assert Subject.objects.filter(pk=public_subject.pk).exists()


class TestFilters:
    @pytest.fixture
    def catalog(self, user):
        SubjectFactory.create(name="Algebra", category="math", difficulty_level="beginner")
        SubjectFactory.create(name="Calculus", category="math", difficulty_level="advanced")
        SubjectFactory.create(name="Poetry", category="literature", difficulty_level="beginner")
        SubjectFactory.create(name="Algebra notes", created_by=user, is_public=False)

    def test_category(self, auth_client, catalog):
        assert names(auth_client.get(SUBJECTS, {"category": "literature"})) == ["Poetry"]

    def test_difficulty(self, auth_client, catalog):
        assert names(auth_client.get(SUBJECTS, {"difficulty_level": "advanced"})) == ["Calculus"]

    def test_is_public(self, auth_client, catalog):
        assert names(auth_client.get(SUBJECTS, {"is_public": "false"})) == ["Algebra notes"]
        assert "Algebra notes" not in names(auth_client.get(SUBJECTS, {"is_public": "true"}))

    def test_search_matches_names(self, auth_client, catalog):
        found = names(auth_client.get(SUBJECTS, {"search": "algebra"}))
        assert found == ["Algebra", "Algebra notes"]

    def test_bad_filter_value(self, auth_client, catalog):
        response = auth_client.get(SUBJECTS, {"difficulty_level": "expert"})
        assert response.status_code == 400
        assert "difficulty_level" in response.json()["error"]["fields"]

    def test_pagination(self, auth_client, catalog):
        first = auth_client.get(SUBJECTS, {"page_size": 2}).json()
        assert first["count"] == 4
        assert len(first["results"]) == 2
        assert first["previous"] is None
        assert "page=2" in first["next"]
        second = auth_client.get(first["next"]).json()
        assert names_of(second) == ["Calculus", "Poetry"]
        assert second["next"] is None
        assert second["previous"] is not None
        assert auth_client.get(SUBJECTS, {"page": 9}).status_code == 404


def names_of(body) -> list[str]:
    return [item["name"] for item in body["results"]]


class TestPopular:
    def test_public_subjects_by_distinct_learners(self, auth_client, user, other_user):
        quiet, busy, middle = (
            SubjectFactory.create(name=name) for name in ("Quiet", "Busy", "Middle")
        )
        SubjectFactory.create(name="Private busy", is_public=False, created_by=user)
        third = UserFactory.create()
        for learner in (user, other_user, third):
            services.progress_log(user=learner, subject_id=busy.pk, minutes=5)
        services.progress_log(user=user, subject_id=middle.pk, minutes=5)
        # A learner with progress and a summary counts once.
        StudySummary.objects.create(
            user=user, subject=middle, content="x" * 60, summary_type="brief"
        )
        StudySummary.objects.create(
            user=other_user, subject=middle, content="x" * 60, summary_type="brief"
        )
        response = auth_client.get(POPULAR)
        assert response.status_code == 200
        results = response.json()["results"]
        assert [(r["name"], r["learner_count"]) for r in results] == [
            ("Busy", 3),
            ("Middle", 2),
            ("Quiet", 0),
        ]
        assert set(PopularSubjectOutputSerializer().fields) == set(results[0])
        assert quiet.pk == results[2]["id"]
