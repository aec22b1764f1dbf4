"""`/api/cqrs/` reads answer what the REST study endpoints answer for the same activity, field by
field: progress, summaries, and the analytics totals."""

from __future__ import annotations

from datetime import datetime

import pytest

from study.models import StudySummary

from ..conftest import ENGLISH_TEXT
from .conftest import ANALYTICS, PROGRESS, SUBJECTS, SUMMARIES, generate_url

REST_SUBJECTS = "/api/study/subjects/"
REST_SUMMARIES = "/api/study/summaries/"
REST_GENERATE = "/api/study/generate-summary/"
REST_PROGRESS = "/api/study/progress/"
REST_GOALS = "/api/study/goals/"
ALL = {"page_size": 100}


def results(client, path, **query):
    response = client.get(path, {**ALL, **query})
    assert response.status_code == 200, response.content
    return response.json()


def moment(value: str) -> datetime:
    return datetime.fromisoformat(value)


@pytest.fixture
def activity(auth_client, other_client, user, public_subject, settings):
    """Both learners, writes through both addresses, real commits (the reactions run as in
    production). The last step changes a subject's target after its time was logged: the old
    progress projection kept the completion of the log (3.8 where REST answered 7.7)."""

    def created(response):
        assert response.status_code in (201, 202), response.content
        return response.json()

    chemistry = created(auth_client.post(SUBJECTS, {"name": "Chemistry"}))["id"]
    physics = created(auth_client.post(REST_SUBJECTS, {"name": "Physics", "is_public": True}))["id"]
    summary = {"content": ENGLISH_TEXT, "summary_type": "brief"}
    created(auth_client.post(generate_url(chemistry), summary))
    created(auth_client.post(REST_GENERATE, {**summary, "subject_id": physics, "title": "P"}))
    created(
        auth_client.post(generate_url(public_subject.pk), {**summary, "summary_type": "detailed"})
    )
    created(other_client.post(generate_url(public_subject.pk), summary))
    # New material refused by the daily limit (the learner's requests today are over it): a
    # failed summary.
    settings.AI_DAILY_REQUEST_LIMIT = 1
    more = {"content": f"{ENGLISH_TEXT} More.", "summary_type": "brief", "subject_id": chemistry}
    refused = auth_client.post(REST_GENERATE, more)
    assert refused.status_code == 429
    assert StudySummary.objects.filter(user=user, status="failed").count() == 1
    created(auth_client.post(PROGRESS, {"subject_id": chemistry, "minutes": 30}))
    created(auth_client.post(REST_PROGRESS, {"subject_id": chemistry, "minutes": 16}))
    created(auth_client.post(REST_PROGRESS, {"subject_id": physics, "minutes": 45}))
    created(auth_client.post(PROGRESS, {"subject_id": public_subject.pk, "minutes": 5}))
    created(other_client.post(PROGRESS, {"subject_id": public_subject.pk, "minutes": 500}))
    created(
        auth_client.post(
            REST_GOALS, {"subject_id": chemistry, "title": "Chemistry", "target_minutes": 600}
        )
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("activity")
class TestTheSameActivity:
    def test_subjects(self, auth_client):
        cqrs = results(auth_client, SUBJECTS)
        rest = results(auth_client, REST_SUBJECTS)

        assert cqrs["count"] == rest["count"] == 3
        assert cqrs["results"] == rest["results"]

    def test_progress(self, auth_client):
        cqrs = results(auth_client, PROGRESS)
        rest = results(auth_client, REST_PROGRESS)

        assert cqrs["count"] == rest["count"] == 3
        assert cqrs["results"] == rest["results"]
        # The goal's target moved the completion after the logs: 46 of 600 minutes.
        chemistry = next(row for row in cqrs["results"] if row["subject_name"] == "Chemistry")
        assert chemistry["completion_percentage"] == 7.7

    def test_summaries(self, auth_client):
        cqrs = results(auth_client, SUMMARIES)
        rest = results(auth_client, REST_SUMMARIES)

        assert cqrs["count"] == rest["count"] == 4
        assert len(cqrs["results"]) == len(rest["results"])
        for cqrs_row, rest_row in zip(cqrs["results"], rest["results"], strict=True):
            assert set(cqrs_row) == set(rest_row) - {"content"}
            for field, value in cqrs_row.items():
                assert value == rest_row[field], field
        for query in ({"status": "failed"}, {"summary_type": "detailed"}):
            assert results(auth_client, SUMMARIES, **query)["results"] == [
                {k: v for k, v in row.items() if k != "content"}
                for row in results(auth_client, REST_SUMMARIES, **query)["results"]
            ]

    def test_analytics_totals(self, auth_client, user):
        analytics = results(auth_client, ANALYTICS)
        progress = results(auth_client, REST_PROGRESS)["results"]
        summaries = results(auth_client, REST_SUMMARIES)["results"]
        subjects = [
            row
            for row in results(auth_client, REST_SUBJECTS)["results"]
            if row["created_by"] == user.pk
        ]
        statuses = [row["status"] for row in summaries]

        assert analytics["subjects_created"] == len(subjects) == 2
        assert analytics["summaries_requested"] == len(summaries) == 4
        assert analytics["summaries_completed"] == statuses.count("completed") == 3
        assert analytics["summaries_failed"] == statuses.count("failed") == 1
        assert analytics["tokens_used"] == sum(row["tokens_used"] for row in summaries) > 0
        assert analytics["minutes_studied"] == sum(r["total_study_minutes"] for r in progress)
        assert analytics["minutes_studied"] == 96
        assert analytics["sessions_count"] == sum(r["sessions_count"] for r in progress) == 4
        # Everything happened today (in the learner's time zone).
        assert analytics["daily_minutes"][-1]["minutes"] == 96
        assert sum(day["minutes"] for day in analytics["daily_minutes"]) == 96
        latest = max(
            [moment(row["created_at"]) for row in subjects]
            + [moment(row["created_at"]) for row in summaries]
            + [moment(row["completed_at"]) for row in summaries if row["completed_at"]]
            + [moment(row["last_studied_at"]) for row in progress]
        )
        assert moment(analytics["last_activity_at"]) == latest
