"""GET /api/study/summaries/{id}/stream/: server-sent events over WSGI and ASGI."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient
from django.utils import timezone

from study.models import StudySummary
from study.services import summaries as summary_services
from studymate_api.core.models import AIUsage
from tests.conftest import login_tokens

from .conftest import ENGLISH_TEXT, KOREAN_TEXT
from .events import parse_events


def stream_url(summary_id: int) -> str:
    return f"/api/study/summaries/{summary_id}/stream/"


def pending_summary(user, subject, **fields) -> StudySummary:
    values = {"content": KOREAN_TEXT, "summary_type": "detailed", **fields}
    return StudySummary.objects.create(user=user, subject=subject, **values)


def read(response) -> list:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/event-stream")
    return parse_events(b"".join(response.streaming_content))


@pytest.mark.django_db
class TestStream:
    def test_a_pending_summary_is_generated_while_streaming(self, auth_client, user, subject):
        summary = pending_summary(user, subject)
        events = read(auth_client.get(stream_url(summary.pk), HTTP_ACCEPT="text/event-stream"))
        kinds = [kind for kind, _ in events]
        assert kinds[-1] == "done"
        assert kinds.count("token") > 3  # word by word from the local provider
        assert set(kinds[:-1]) == {"token"}
        done = events[-1][1]
        assert done["status"] == "completed"
        assert done["id"] == summary.pk
        streamed = "".join(data["text"] for kind, data in events if kind == "token")
        assert streamed.split() == done["summary"].split()
        summary.refresh_from_db()
        assert summary.status == "completed"
        assert summary.summary == done["summary"]
        usage = AIUsage.objects.get(user=user)
        assert usage.streamed

    def test_a_completed_summary_is_replayed_without_the_model(self, auth_client, user, subject):
        summary = pending_summary(user, subject, status="completed", summary="요약입니다.")
        events = read(auth_client.get(stream_url(summary.pk)))
        assert events[0] == ("token", {"text": "요약입니다."})
        assert events[1][0] == "done"
        assert events[1][1]["summary"] == "요약입니다."
        assert not AIUsage.objects.exists()

    def test_streaming_after_the_task_ran_calls_the_model_once(self, auth_client, user, subject):
        summary = pending_summary(user, subject)
        summary_services.summary_generate(summary_id=summary.pk)
        events = read(auth_client.get(stream_url(summary.pk)))
        assert events[-1][1]["status"] == "completed"
        assert AIUsage.objects.count() == 1

    def test_a_failed_summary_gives_its_error(self, auth_client, user, subject):
        summary = pending_summary(
            user, subject, status="failed", error_code="ai_unavailable", error="down"
        )
        events = read(auth_client.get(stream_url(summary.pk)))
        assert events == [("error", {"code": "ai_unavailable", "message": "down"})]

    def test_limits_become_an_error_event(self, auth_client, user, subject, settings):
        settings.AI_DAILY_REQUEST_LIMIT = 1
        AIUsage.objects.create(user=user, task="summary_brief", outcome="success")
        summary = pending_summary(user, subject)
        events = read(auth_client.get(stream_url(summary.pk)))
        assert [kind for kind, _ in events] == ["error"]
        assert events[0][1]["code"] == "throttled"
        summary.refresh_from_db()
        assert summary.status == "failed"

    def test_a_summary_generated_elsewhere_is_awaited(
        self, auth_client, user, subject, monkeypatch
    ):
        monkeypatch.setattr(summary_services, "STREAM_WAIT_SECONDS", 0.3)
        monkeypatch.setattr(summary_services, "STREAM_POLL_SECONDS", 0.05)
        summary = pending_summary(user, subject, claimed_at=timezone.now())
        events = read(auth_client.get(stream_url(summary.pk)))
        assert events == [
            ("error", {"code": "summary_pending", "message": events[0][1]["message"]})
        ]
        assert not AIUsage.objects.exists()

    def test_another_users_summary_is_a_json_404(self, other_client, user, subject):
        summary = pending_summary(user, subject)
        response = other_client.get(stream_url(summary.pk), HTTP_ACCEPT="text/event-stream")
        assert response.status_code == 404
        assert response["Content-Type"].startswith("application/json")
        assert response.json()["error"]["code"] == "not_found"
        summary.refresh_from_db()
        assert summary.claimed_at is None

    def test_requires_authentication(self, api_client, user, subject):
        summary = pending_summary(user, subject)
        assert api_client.get(stream_url(summary.pk)).status_code == 401

    def test_a_client_that_leaves_hands_the_summary_to_the_worker(self, user, subject):
        summary = pending_summary(user, subject, content=ENGLISH_TEXT)
        events = summary_services.summary_stream(summary=summary)
        assert next(events).kind == "token"
        # The client goes away: the server closes the response and with it this generator.
        events.close()
        summary.refresh_from_db()
        # Released, then generated by the (eager) task.
        assert summary.status == "completed"
        outcomes = sorted(AIUsage.objects.values_list("outcome", "streamed"))
        assert outcomes == [("error", True), ("success", False)]  # abandoned, then the task


@pytest.mark.django_db(transaction=True)
def test_streams_over_asgi(user, subject):
    """Under ASGI (daphne) the events come from an asynchronous iterator fed by a thread."""
    summary = pending_summary(user, subject, content=ENGLISH_TEXT)
    access = login_tokens_for(user)

    async def fetch() -> tuple[int, str, bytes]:
        client = AsyncClient()
        response: Any = await client.get(
            stream_url(summary.pk), headers={"Authorization": f"Bearer {access}"}
        )
        body = b"".join([chunk async for chunk in response.streaming_content])
        return response.status_code, response["Content-Type"], body

    status, content_type, body = async_to_sync(fetch)()
    assert status == 200
    assert content_type.startswith("text/event-stream")
    events = parse_events(body)
    assert events[-1][0] == "done"
    assert events[-1][1]["status"] == "completed"
    assert sum(1 for kind, _ in events if kind == "token") > 3


def login_tokens_for(user) -> str:
    from rest_framework.test import APIClient

    return str(login_tokens(APIClient(), user.email)["access"])
