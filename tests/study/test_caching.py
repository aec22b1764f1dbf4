"""Cached reads: fixed query counts on a miss and a hit, and invalidation by the writes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from study import services

from .conftest import ENGLISH_TEXT
from .factories import SubjectFactory

pytestmark = pytest.mark.django_db

SUBJECTS = "/api/study/subjects/"
POPULAR = "/api/study/subjects/popular/"
PROGRESS = "/api/study/progress/"

# Every authenticated request loads its user once (simplejwt), except the subjects list: its
# cached read path takes the user from the token's claims (accounts.authentication).
AUTH = 1


def names(client, url=SUBJECTS, **query) -> list[str]:
    return [item["name"] for item in client.get(url, query).json()["results"]]


@pytest.fixture
def many_subjects(user, other_user):
    for n in range(30):
        SubjectFactory.create(name=f"Public {n:02d}", created_by=other_user)
    for n in range(5):
        SubjectFactory.create(name=f"Mine {n}", created_by=user, is_public=False)


@pytest.fixture
def studied(user, many_subjects):
    from study.models import Subject

    for subject in Subject.objects.all()[:12]:
        services.progress_log(user=user, subject_id=subject.pk, minutes=15)


class TestQueryCounts:
    def test_subjects_list(self, auth_client, many_subjects, django_assert_num_queries):
        with django_assert_num_queries(2):  # count, page
            assert len(auth_client.get(SUBJECTS, {"page_size": 50}).json()["results"]) == 35
        with django_assert_num_queries(0):
            auth_client.get(SUBJECTS, {"page_size": 50})

    def test_progress_list(self, auth_client, studied, django_assert_num_queries):
        with django_assert_num_queries(AUTH + 2):  # count, page (the time zone comes with the user)
            assert len(auth_client.get(PROGRESS, {"page_size": 50}).json()["results"]) == 12
        with django_assert_num_queries(AUTH):
            auth_client.get(PROGRESS, {"page_size": 50})

    def test_popular(self, auth_client, studied, django_assert_num_queries):
        with django_assert_num_queries(AUTH + 2):  # ranking, subjects
            assert auth_client.get(POPULAR).json()["count"] == 30
        with django_assert_num_queries(AUTH):
            auth_client.get(POPULAR)


class TestInvalidation:
    def test_subject_writes(self, auth_client, subject, commit_hooks):
        assert names(auth_client) == ["Biology"]
        with commit_hooks():
            created = auth_client.post(SUBJECTS, {"name": "Zoology"}).json()
        assert names(auth_client) == ["Biology", "Zoology"]
        with commit_hooks():
            auth_client.patch(f"{SUBJECTS}{created['id']}/", {"name": "Anatomy"})
        assert names(auth_client) == ["Anatomy", "Biology"]
        with commit_hooks():
            auth_client.delete(f"{SUBJECTS}{created['id']}/")
        assert names(auth_client) == ["Biology"]

    def test_lists_are_cached_per_user(self, auth_client, other_client, subject, hidden_subject):
        assert names(other_client) == ["Secret diary"]
        assert names(auth_client) == ["Biology"]
        assert names(other_client) == ["Secret diary"]

    def test_without_invalidation_the_cache_answers(self, auth_client, subject):
        """What the tests above rely on: the cached page is served until a tag changes."""
        assert names(auth_client) == ["Biology"]
        SubjectFactory.create(name="Zoology")  # no service, no invalidation
        assert names(auth_client) == ["Biology"]

    def test_progress_log(self, auth_client, subject, commit_hooks):
        assert auth_client.get(PROGRESS).json()["count"] == 0
        assert auth_client.get(POPULAR).json()["results"] == []
        with commit_hooks():
            auth_client.post(PROGRESS, {"subject_id": subject.pk, "minutes": 30})
        assert auth_client.get(PROGRESS).json()["results"][0]["total_study_minutes"] == 30
        with commit_hooks():
            auth_client.post(PROGRESS, {"subject_id": subject.pk, "minutes": 30})
        assert auth_client.get(PROGRESS).json()["results"][0]["total_study_minutes"] == 60

    def test_goal_changes_refresh_completion(self, auth_client, user, subject, commit_hooks):
        with commit_hooks():
            services.progress_log(user=user, subject_id=subject.pk, minutes=120)
        assert auth_client.get(PROGRESS).json()["results"][0]["completion_percentage"] == 10.0
        with commit_hooks():
            auth_client.post(
                "/api/study/goals/", {"subject_id": subject.pk, "title": "x", "target_minutes": 120}
            )
        assert auth_client.get(PROGRESS).json()["results"][0]["completion_percentage"] == 100.0

    def test_new_learners_reorder_popular(self, auth_client, user, other_user, commit_hooks):
        first, second = SubjectFactory.create(name="A"), SubjectFactory.create(name="B")
        assert names(auth_client, POPULAR) == ["A", "B"]
        with commit_hooks():
            services.progress_log(user=other_user, subject_id=second.pk, minutes=5)
        assert names(auth_client, POPULAR) == ["B", "A"]
        with commit_hooks():
            for learner in (user, other_user):
                services.summary_request(
                    user=learner, subject_id=first.pk, content=ENGLISH_TEXT, summary_type="brief"
                )
        assert names(auth_client, POPULAR) == ["A", "B"]


def test_a_cached_progress_page_ends_when_a_streak_breaks(auth_client, user, subject, monkeypatch):
    """Cached while the streak holds; once a local midnight breaks it, the page is computed
    again (no write happened, so no tag changed)."""
    services.progress_log(
        user=user, subject_id=subject.pk, minutes=5, when=timezone.now() - timedelta(days=1)
    )
    assert auth_client.get(PROGRESS).json()["results"][0]["streak_days"] == 1
    assert auth_client.get(PROGRESS).json()["results"][0]["streak_days"] == 1  # a hit
    later = timezone.now() + timedelta(days=2)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert auth_client.get(PROGRESS).json()["results"][0]["streak_days"] == 0
