"""`POST /api/cqrs/subjects/{id}/generate_summary/`, the summary events of both paths, and
`GET /api/cqrs/study-summaries/` (the rows of `GET /api/study/summaries/` without content)."""

from __future__ import annotations

import pytest

from study import services
from study.models import StudySummary
from studymate_api.core.models import AIUsage, DomainEvent

from ..conftest import ENGLISH_TEXT, KOREAN_TEXT
from .conftest import ANALYTICS, SUMMARIES, generate_url, stream, unpublished

pytestmark = pytest.mark.django_db

REST_GENERATE = "/api/study/generate-summary/"


def request_body(**overrides):
    return {"content": ENGLISH_TEXT, "summary_type": "brief", **overrides}


class TestRequest:
    def test_generates_and_records_requested_then_completed(
        self, auth_client, user, subject, commit_hooks
    ):
        with commit_hooks():
            response = auth_client.post(generate_url(subject.pk), request_body(title="Revolution"))

        assert response.status_code == 202
        body = response.json()
        # Captured hooks run after the answer; TestRealCommits sees it completed in the answer.
        assert body["status"] == "pending"
        assert body["subject"] == subject.pk
        assert body["title"] == "Revolution"
        assert body["content"] == ENGLISH_TEXT
        stored = StudySummary.objects.get(pk=body["id"])
        assert stored.status == "completed"
        assert stream("summary", body["id"]) == [("SummaryRequested", 1), ("SummaryCompleted", 2)]
        requested = DomainEvent.objects.get(event_type="SummaryRequested")
        assert requested.user == user
        assert requested.payload["status"] == "pending"
        completed = DomainEvent.objects.get(event_type="SummaryCompleted")
        assert completed.payload["tokens_used"] == stored.tokens_used > 0
        # The outcome was not held back behind the request: everything is delivered.
        assert unpublished() == []

    def test_the_list_shows_it_completed(self, auth_client, subject, commit_hooks):
        with commit_hooks():
            summary_id = auth_client.post(generate_url(subject.pk), request_body()).json()["id"]

        page = auth_client.get(SUMMARIES).json()
        assert page["count"] == 1
        row = page["results"][0]
        stored = StudySummary.objects.get(pk=summary_id)
        assert row["id"] == summary_id
        assert row["status"] == "completed"
        assert row["summary"] == stored.summary
        assert row["provider"] == "local"
        assert row["tokens_used"] == stored.tokens_used
        assert row["completed_at"] is not None
        assert "content" not in row

    def test_korean_material(self, auth_client, subject, commit_hooks):
        with commit_hooks():
            response = auth_client.post(generate_url(subject.pk), request_body(content=KOREAN_TEXT))

        assert StudySummary.objects.get(pk=response.json()["id"]).status == "completed"

    def test_a_public_subject_of_another_learner(self, auth_client, public_subject, commit_hooks):
        with commit_hooks():
            response = auth_client.post(generate_url(public_subject.pk), request_body())

        assert response.status_code == 202

    def test_a_hidden_or_unknown_subject_is_not_found(self, auth_client, hidden_subject):
        for subject_id in (hidden_subject.pk, 999_999):
            response = auth_client.post(generate_url(subject_id), request_body())
            assert response.status_code == 404
            assert response.json()["error"]["code"] == "not_found"
        assert not StudySummary.objects.exists()
        assert not DomainEvent.objects.exists()

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"content": "too short"}, "content"),
            ({"content": "x" * 50_001}, "content"),
            ({"summary_type": "poem"}, "summary_type"),
            ({"provider": "nobody"}, "provider"),
            ({"subject_id": 1}, "subject_id"),
        ],
    )
    def test_validation(self, auth_client, subject, overrides, field):
        response = auth_client.post(generate_url(subject.pk), request_body(**overrides))

        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "validation_error"
        assert field in error["fields"]
        assert not DomainEvent.objects.exists()


class TestRestPath:
    def test_a_rest_summary_appears_completed(self, auth_client, subject, commit_hooks):
        body = {"subject_id": subject.pk, "content": ENGLISH_TEXT, "summary_type": "bullet_points"}
        with commit_hooks():
            summary_id = auth_client.post(REST_GENERATE, body).json()["id"]

        # The REST path leaves the same events as the `/api/cqrs/` one.
        assert stream("summary", summary_id) == [("SummaryRequested", 1), ("SummaryCompleted", 2)]
        rows = auth_client.get(SUMMARIES).json()["results"]
        assert [(r["id"], r["status"], r["summary_type"]) for r in rows] == [
            (summary_id, "completed", "bullet_points")
        ]
        analytics = auth_client.get(ANALYTICS).json()
        assert analytics["summaries_requested"] == 1
        assert analytics["summaries_completed"] == 1
        assert analytics["tokens_used"] == rows[0]["tokens_used"]

    def test_a_generation_that_lost_its_claim_records_nothing(self, user, subject):
        summary = StudySummary.objects.create(
            user=user, subject=subject, content=ENGLISH_TEXT, summary_type="brief"
        )
        claimed = services.summary_claim(summary_id=summary.pk)
        assert claimed is not None
        StudySummary.objects.filter(pk=summary.pk).update(status="completed")

        services.summary_generate(summary_id=summary.pk)

        assert not DomainEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
class TestRealCommits:
    """No captured hooks: the generation runs right after the real commit."""

    def test_get_right_after_post_sees_the_summary(self, auth_client, subject):
        response = auth_client.post(generate_url(subject.pk), request_body())

        assert response.status_code == 202
        assert response.json()["status"] == "completed"
        summary_id = response.json()["id"]
        rows = auth_client.get(SUMMARIES).json()["results"]
        assert [(r["id"], r["status"]) for r in rows] == [(summary_id, "completed")]
        assert unpublished() == []

    def test_a_failed_generation_is_recorded(self, auth_client, user, subject, settings):
        settings.AI_DAILY_REQUEST_LIMIT = 1
        AIUsage.objects.create(user=user, task="summary_brief", outcome="success")

        response = auth_client.post(generate_url(subject.pk), request_body())

        assert response.status_code == 429
        assert response.json()["error"]["code"] == "throttled"
        summary = StudySummary.objects.get(user=user)
        assert stream("summary", summary.pk) == [("SummaryRequested", 1), ("SummaryFailed", 2)]
        row = auth_client.get(SUMMARIES).json()["results"][0]
        assert (row["status"], row["error_code"]) == ("failed", "throttled")
        analytics = auth_client.get(ANALYTICS).json()
        assert (analytics["summaries_requested"], analytics["summaries_failed"]) == (1, 1)
        assert analytics["summaries_completed"] == 0


class TestList:
    @pytest.fixture
    def summaries(self, auth_client, other_client, subject, public_subject, commit_hooks):
        with commit_hooks():
            for summary_type in ("brief", "detailed"):
                auth_client.post(generate_url(subject.pk), request_body(summary_type=summary_type))
            auth_client.post(generate_url(public_subject.pk), request_body())
            other_client.post(generate_url(public_subject.pk), request_body())
        return {(s.summary_type, s.subject_id): s.pk for s in StudySummary.objects.all()}

    def test_own_only_newest_first(self, auth_client, user, summaries, django_assert_num_queries):
        with django_assert_num_queries(2 + 1):  # the user, count, page
            body = auth_client.get(SUMMARIES).json()

        mine = StudySummary.objects.filter(user=user).order_by("-created_at", "-id")
        assert body["count"] == 3
        assert [row["id"] for row in body["results"]] == [s.pk for s in mine]

    def test_filters(self, auth_client, subject, public_subject, summaries):
        def ids(**query):
            return {row["id"] for row in auth_client.get(SUMMARIES, query).json()["results"]}

        assert ids(subject=public_subject.pk) == {summaries[("brief", public_subject.pk)]}
        assert ids(summary_type="detailed") == {summaries[("detailed", subject.pk)]}
        assert ids(status="completed") == set(ids())
        assert ids(status="failed") == set()

    def test_pages(self, auth_client, summaries):
        first = auth_client.get(SUMMARIES, {"page_size": 2}).json()
        assert (len(first["results"]), first["previous"]) == (2, None)
        second = auth_client.get(first["next"]).json()
        assert len(second["results"]) == 1
        assert second["next"] is None

    @pytest.mark.parametrize(
        ("query", "code"),
        [
            ({"status": "lost"}, "validation_error"),
            ({"subject": "x"}, "validation_error"),
            ({"page": "9"}, "not_found"),
            ({"page": "zero"}, "not_found"),
        ],
    )
    def test_bad_query(self, auth_client, summaries, query, code):
        assert auth_client.get(SUMMARIES, query).json()["error"]["code"] == code
