"""AI summaries: the request, generation through the gateway, lists, ownership, idempotency."""

from __future__ import annotations

import copy
import datetime
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from study.models import StudySummary
from study.tasks import generate_summary, requeue_stale_summaries
from studymate_api.ai import credits_port
from studymate_api.celery import app as celery_app
from studymate_api.core.errors import InsufficientCredits
from studymate_api.core.leases import LEASE
from studymate_api.core.models import AIUsage

from .conftest import ENGLISH_TEXT, KOREAN_TEXT
from .factories import SubjectFactory

GENERATE = "/api/study/generate-summary/"
SUMMARIES = "/api/study/summaries/"


def detail(summary_id: int) -> str:
    return f"{SUMMARIES}{summary_id}/"


def request_body(subject, **overrides):
    return {"subject_id": subject.pk, "content": ENGLISH_TEXT, "summary_type": "brief", **overrides}


def pending_summary(user, subject, **fields) -> StudySummary:
    """A summary as the request leaves it before its task ran."""
    values = {"content": ENGLISH_TEXT, "summary_type": "brief", **fields}
    return StudySummary.objects.create(user=user, subject=subject, **values)


def sentences_of(text: str) -> list[str]:
    return [s.strip() for s in text.replace("\n", " ").split(". ") if s.strip()]


@pytest.mark.django_db(transaction=True)
class TestGenerateCompletesBeforeTheAnswer:
    """Real commits: the task runs (eagerly) when the request's transaction commits, and the
    202 already shows the outcome."""

    @pytest.mark.parametrize("text", [KOREAN_TEXT, ENGLISH_TEXT], ids=["korean", "english"])
    def test_extractive_summary_of_a_real_paragraph(self, auth_client, subject, text):
        response = auth_client.post(GENERATE, request_body(subject, content=text))
        assert response.status_code == 202
        body = response.json()
        assert body["status"] == "completed"
        assert body["provider"] == "local"
        assert body["model"] == "local-extractive-1"
        assert body["tokens_used"] > 0
        assert 0 < len(body["summary"]) < len(text)
        # Extractive: every sentence of the summary is a sentence of the material.
        for sentence in sentences_of(body["summary"]):
            assert sentence.rstrip(".") in text
        stored = StudySummary.objects.get(pk=body["id"])
        assert stored.summary == body["summary"]
        assert stored.completed_at is not None
        assert AIUsage.objects.filter(user_id=stored.user_id).count() == 1

    @pytest.mark.parametrize(
        ("summary_type", "check"),
        [
            ("detailed", lambda s: len(s) > 0),
            ("bullet_points", lambda s: all(line.startswith("- ") for line in s.splitlines())),
            ("key_concepts", lambda s: len(s.splitlines()) >= 3),
        ],
    )
    def test_every_summary_type(self, auth_client, subject, summary_type, check):
        body = auth_client.post(GENERATE, request_body(subject, summary_type=summary_type)).json()
        assert body["status"] == "completed"
        assert body["summary_type"] == summary_type
        assert check(body["summary"])

    def test_the_contract_fields(self, auth_client, subject):
        body = auth_client.post(GENERATE, request_body(subject, title="Revolution")).json()
        expected = {
            "id",
            "subject",
            "title",
            "content",
            "summary",
            "summary_type",
            "status",
            "provider",
            "model",
            "tokens_used",
            "created_at",
        }
        assert expected <= set(body)
        assert body["title"] == "Revolution"
        assert body["subject"] == subject.pk
        assert body["content"] == ENGLISH_TEXT

    def test_daily_limit_reaches_the_client(self, auth_client, user, subject, settings):
        settings.AI_DAILY_REQUEST_LIMIT = 1
        AIUsage.objects.create(user=user, task="summary_brief", outcome="success")
        response = auth_client.post(GENERATE, request_body(subject))
        assert response.status_code == 429
        assert response.json()["error"]["code"] == "throttled"
        assert int(response["Retry-After"]) > 0
        summary = StudySummary.objects.get(user=user)
        assert summary.status == "failed"
        assert summary.error_code == "throttled"

    def test_refused_credits_reach_the_client(self, auth_client, user, subject):
        def refuse(request):
            raise InsufficientCredits()

        credits_port.provide(refuse)
        try:
            response = auth_client.post(GENERATE, request_body(subject))
        finally:
            credits_port.provide(None)
        assert response.status_code == 402
        assert response.json()["error"]["code"] == "insufficient_credits"
        assert StudySummary.objects.get(user=user).status == "failed"

    def test_provider_failure_marks_the_summary_failed(
        self, auth_client, user, subject, refusing_openai
    ):
        response = auth_client.post(GENERATE, request_body(subject, provider="openai"))
        assert response.status_code == 202
        body = response.json()
        assert body["status"] == "failed"
        assert body["error_code"] == "ai_request_rejected"
        assert body["error"]
        assert refusing_openai == ["/v1/chat/completions"]


class _Refusing(BaseHTTPRequestHandler):
    """Speaks just enough of OpenAI's API to refuse every request as invalid (HTTP 400)."""

    paths: list[str]

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.paths.append(self.path)
        body = json.dumps({"error": {"message": "bad input", "type": "invalid_request_error"}})
        self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def refusing_openai(settings) -> Iterator[list[str]]:
    """A local stand-in for OpenAI that answers 400, configured as the openai provider."""
    paths: list[str] = []
    handler = type("Handler", (_Refusing,), {"paths": paths})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    providers = copy.deepcopy(settings.AI_PROVIDERS)
    providers["openai"]["API_KEY"] = "sk-test"
    providers["openai"]["BASE_URL"] = f"http://127.0.0.1:{server.server_port}/v1"
    settings.AI_PROVIDERS = providers
    yield paths
    server.shutdown()
    server.server_close()


@pytest.mark.django_db
class TestValidation:
    def test_content_too_short(self, auth_client, subject):
        response = auth_client.post(GENERATE, request_body(subject, content="x" * 49))
        assert response.status_code == 400
        assert "content" in response.json()["error"]["fields"]

    def test_content_too_long(self, auth_client, subject):
        response = auth_client.post(GENERATE, request_body(subject, content="가" * 50_001))
        assert response.status_code == 400
        assert "content" in response.json()["error"]["fields"]

    def test_content_at_the_limits_is_accepted(self, auth_client, subject, commit_hooks):
        for size in (50, 50_000):
            content = ("Photosynthesis makes sugar from light. " * 2000)[:size]
            with commit_hooks():
                response = auth_client.post(GENERATE, request_body(subject, content=content))
            assert response.status_code == 202, size

    def test_bad_summary_type_and_provider(self, auth_client, subject):
        response = auth_client.post(
            GENERATE, request_body(subject, summary_type="poem", provider="skynet")
        )
        assert response.status_code == 400
        assert set(response.json()["error"]["fields"]) == {"summary_type", "provider"}

    def test_unknown_subject_is_not_found(self, auth_client):
        response = auth_client.post(
            GENERATE, {"subject_id": 999_999, "content": ENGLISH_TEXT, "summary_type": "brief"}
        )
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"

    def test_another_users_private_subject_is_not_found(self, auth_client, hidden_subject):
        response = auth_client.post(GENERATE, request_body(hidden_subject))
        assert response.status_code == 404
        assert not StudySummary.objects.exists()

    def test_another_users_public_subject_is_fine(self, auth_client, public_subject, commit_hooks):
        with commit_hooks():
            response = auth_client.post(GENERATE, request_body(public_subject))
        assert response.status_code == 202

    def test_requires_authentication(self, api_client, subject):
        assert api_client.post(GENERATE, request_body(subject)).status_code == 401


@pytest.mark.django_db
class TestIdempotentTask:
    def test_a_redelivered_task_calls_the_model_once(self, user, subject):
        summary = pending_summary(user, subject)
        first = generate_summary.apply(args=(summary.pk,)).get()
        second = generate_summary.apply(args=(summary.pk,)).get()
        assert (first, second) == ("completed", "skipped")
        assert AIUsage.objects.filter(user=user).count() == 1
        summary.refresh_from_db()
        assert summary.status == "completed"

    def test_a_live_claim_is_left_alone(self, user, subject):
        summary = pending_summary(user, subject, claimed_at=timezone.now())
        assert generate_summary.apply(args=(summary.pk,)).get() == "skipped"
        assert not AIUsage.objects.exists()

    def test_a_claim_past_its_lease_is_taken_over(self, user, subject):
        dead = timezone.now() - LEASE - datetime.timedelta(seconds=1)
        summary = pending_summary(user, subject, claimed_at=dead)
        assert generate_summary.apply(args=(summary.pk,)).get() == "completed"

    def test_a_deleted_summary_is_skipped(self, user, subject):
        summary = pending_summary(user, subject)
        summary_id = summary.pk
        summary.delete()
        assert generate_summary.apply(args=(summary_id,)).get() == "skipped"

    def test_the_request_enqueues_after_commit(self, auth_client, user, subject, commit_hooks):
        with commit_hooks() as hooks:
            response = auth_client.post(GENERATE, request_body(subject))
            # Nothing ran inside the transaction.
            assert StudySummary.objects.get().status == "pending"
        assert response.status_code == 202
        # + publishing SummaryRequested and SummaryCompleted, + the learner's personalization
        # cache invalidation when the summary's key concepts become review cards.
        assert len(hooks) == 6
        assert StudySummary.objects.get().status == "completed"


@pytest.mark.django_db
class TestListAndDetail:
    @pytest.fixture
    def summaries(self, user, other_user, subject, public_subject):
        other_subject = SubjectFactory.create(created_by=user)
        return {
            "done": pending_summary(user, subject, status="completed", summary="s"),
            "failed": pending_summary(user, subject, status="failed", summary_type="detailed"),
            "elsewhere": pending_summary(user, other_subject),
            "not_mine": pending_summary(other_user, public_subject),
        }

    def test_lists_own_summaries_newest_first(self, auth_client, summaries):
        response = auth_client.get(SUMMARIES)
        assert response.status_code == 200
        ids = [item["id"] for item in response.json()["results"]]
        mine = [summaries[name].pk for name in ("elsewhere", "failed", "done")]
        assert ids == mine

    def test_filters(self, auth_client, summaries, subject):
        def ids(**query):
            return {item["id"] for item in auth_client.get(SUMMARIES, query).json()["results"]}

        assert ids(subject=subject.pk) == {summaries["done"].pk, summaries["failed"].pk}
        assert ids(status="completed") == {summaries["done"].pk}
        assert ids(summary_type="detailed") == {summaries["failed"].pk}
        assert ids(subject=summaries["not_mine"].subject_id) == set()
        assert auth_client.get(SUMMARIES, {"status": "odd"}).status_code == 400

    def test_list_queries_are_fixed(
        self, auth_client, summaries, user, subject, django_assert_num_queries
    ):
        # Authentication, count, page: whatever the page holds.
        with django_assert_num_queries(3):
            assert len(auth_client.get(SUMMARIES).json()["results"]) == 3
        for _ in range(5):
            pending_summary(user, subject)
        with django_assert_num_queries(3):
            assert len(auth_client.get(SUMMARIES).json()["results"]) == 8

    def test_get_and_delete_own(self, auth_client, summaries):
        done = summaries["done"]
        assert auth_client.get(detail(done.pk)).json()["summary"] == "s"
        assert auth_client.delete(detail(done.pk)).status_code == 204
        assert not StudySummary.objects.filter(pk=done.pk).exists()

    def test_another_users_summary_is_not_found(self, auth_client, summaries):
        not_mine = summaries["not_mine"]
        for method in ("get", "delete"):
            response = getattr(auth_client, method)(detail(not_mine.pk))
            assert response.status_code == 404
            assert response.json()["error"]["code"] == "not_found"
        assert StudySummary.objects.filter(pk=not_mine.pk).exists()


@pytest.mark.django_db
class TestRequeue:
    def test_stale_pending_summaries_are_generated_again(self, user, subject):
        old = timezone.now() - datetime.timedelta(hours=1)
        stale = pending_summary(user, subject)
        fresh = pending_summary(user, subject)
        held = pending_summary(user, subject, claimed_at=timezone.now())
        StudySummary.objects.filter(pk__in=[stale.pk, held.pk]).update(created_at=old)
        assert requeue_stale_summaries.apply().get() == 1
        statuses = dict(StudySummary.objects.values_list("pk", "status"))
        assert statuses == {stale.pk: "completed", fresh.pk: "pending", held.pk: "pending"}

    def test_a_summary_whose_holder_stopped_renewing_goes_back_at_once(self, user, subject):
        """Created a minute ago, far from REQUEUE_AFTER: a lease that ran out is enough."""
        silent = timezone.now() - LEASE - datetime.timedelta(seconds=1)
        lost = pending_summary(user, subject, claimed_at=silent)
        alive = pending_summary(user, subject, claimed_at=timezone.now())
        assert requeue_stale_summaries.apply().get() == 1
        statuses = dict(StudySummary.objects.values_list("pk", "status"))
        assert statuses == {lost.pk: "completed", alive.pk: "pending"}


@pytest.mark.django_db(transaction=True)
def test_a_broker_outage_leaves_the_summary_pending(auth_client, subject):
    """The request commits, enqueuing fails: the client still gets its pending summary (its
    stream or the requeue task generates it later)."""
    previous = (celery_app.conf.task_always_eager, celery_app.conf.broker_url)
    celery_app.conf.task_always_eager = False
    celery_app.conf.update(broker_url="redis://127.0.0.1:1/0")  # nothing listens there
    celery_app._pool = None  # type: ignore[attr-defined]  # producers for the new broker URL
    try:
        response = auth_client.post(GENERATE, request_body(subject))
    finally:
        celery_app.conf.update(task_always_eager=previous[0], broker_url=previous[1])
        celery_app._pool = None  # type: ignore[attr-defined]
    assert response.status_code == 202
    assert response.json()["status"] == "pending"
