"""`POST /api/cqrs/study-progress/`, StudyTimeLogged from both paths, and
`GET /api/cqrs/study-progress/` (the rows of `GET /api/study/progress/`)."""

from __future__ import annotations

import pytest

from study.models import StudyProgress
from studymate_api.core.models import DomainEvent

from .conftest import PROGRESS, stream, unpublished

pytestmark = pytest.mark.django_db

REST_PROGRESS = "/api/study/progress/"


def log_body(subject, minutes=30, **extra):
    return {"subject_id": subject.pk, "minutes": minutes, **extra}


class TestLog:
    def test_logs_and_records_study_time_logged(self, auth_client, user, subject, commit_hooks):
        with commit_hooks():
            first = auth_client.post(PROGRESS, log_body(subject, 30, topics_covered=["cells"]))
            second = auth_client.post(PROGRESS, log_body(subject, 15), format="json")

        assert first.status_code == 201
        assert second.status_code == 201
        body = second.json()
        assert body["subject"] == subject.pk
        assert body["total_study_minutes"] == 45
        assert body["sessions_count"] == 2
        progress = StudyProgress.objects.get(user=user, subject=subject)
        assert stream("study_progress", progress.pk) == [
            ("StudyTimeLogged", 1),
            ("StudyTimeLogged", 2),
        ]
        event = DomainEvent.objects.get(sequence=1)
        assert event.user == user
        assert event.payload["minutes"] == 30
        assert event.payload["topics_covered"] == ["cells"]
        assert event.metadata == {}  # recorded by the service, for REST logs as well
        assert unpublished() == []

    def test_the_list_follows(self, auth_client, subject, commit_hooks):
        with commit_hooks():
            auth_client.post(PROGRESS, log_body(subject, 30))
            auth_client.post(PROGRESS, log_body(subject, 20))

        body = auth_client.get(PROGRESS).json()
        assert body["count"] == 1
        row = body["results"][0]
        assert row["subject"] == subject.pk
        assert row["subject_name"] == "Biology"
        assert (row["total_study_minutes"], row["sessions_count"]) == (50, 2)
        assert row["streak_days"] == 1
        assert row["last_studied_at"] is not None

    def test_rest_logs_are_listed(self, auth_client, user, subject, commit_hooks):
        with commit_hooks():
            rest = auth_client.post(REST_PROGRESS, log_body(subject, 40), format="json")

        assert rest.status_code == 201
        progress = StudyProgress.objects.get(user=user)
        assert stream("study_progress", progress.pk) == [("StudyTimeLogged", 1)]
        rest_row = auth_client.get(REST_PROGRESS).json()["results"][0]
        assert auth_client.get(PROGRESS).json()["results"] == [rest_row]

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"minutes": 0}, "minutes"),
            ({"minutes": 1441}, "minutes"),
            ({"minutes": "many"}, "minutes"),
            ({"topics_covered": ["t"] * 51}, "topics_covered"),
            ({"user_id": 1}, "user_id"),
        ],
    )
    def test_validation(self, auth_client, subject, body, field):
        response = auth_client.post(PROGRESS, {**log_body(subject), **body}, format="json")

        assert response.status_code == 400
        assert field in response.json()["error"]["fields"]
        assert not DomainEvent.objects.exists()

    def test_hidden_or_unknown_subject_is_not_found(self, auth_client, hidden_subject):
        for subject_id in (hidden_subject.pk, 999_999):
            response = auth_client.post(PROGRESS, {"subject_id": subject_id, "minutes": 5})
            assert response.status_code == 404
            assert response.json()["error"]["code"] == "not_found"
        assert not DomainEvent.objects.exists()


class TestList:
    def test_own_progress_only(
        self,
        auth_client,
        other_client,
        subject,
        public_subject,
        commit_hooks,
        django_assert_num_queries,
    ):
        with commit_hooks():
            auth_client.post(PROGRESS, log_body(subject, 10))
            auth_client.post(PROGRESS, log_body(public_subject, 10))
            other_client.post(PROGRESS, log_body(public_subject, 99))

        with django_assert_num_queries(1 + 2):  # the user with their time zone; count, page
            body = auth_client.get(PROGRESS, {"page_size": 1}).json()

        assert body["count"] == 2
        assert body["results"][0]["subject"] == public_subject.pk  # latest first
        assert body["results"][0]["total_study_minutes"] == 10
        assert auth_client.get(body["next"]).json()["results"][0]["subject"] == subject.pk

    def test_bad_page(self, auth_client):
        assert auth_client.get(PROGRESS, {"page": 2}).json()["error"]["code"] == "not_found"


@pytest.mark.django_db(transaction=True)
def test_get_right_after_post_sees_the_log(auth_client, subject):
    auth_client.post(PROGRESS, log_body(subject, 25))

    rows = auth_client.get(PROGRESS).json()["results"]
    assert [(r["subject"], r["total_study_minutes"]) for r in rows] == [(subject.pk, 25)]
