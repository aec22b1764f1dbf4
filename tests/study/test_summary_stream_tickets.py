"""The summary stream from a browser: tickets in place of the Authorization header, event ids,
and resuming from `Last-Event-ID`."""

from __future__ import annotations

import datetime
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from asgiref.sync import async_to_sync
from django.test import AsyncClient
from django.utils import timezone
from rest_framework.test import APIClient

from study.models import StudySummary
from studymate_api.core.models import AIUsage

from .conftest import ENGLISH_TEXT
from .events import parse_blocks, parse_events
from .factories import SubjectFactory

pytestmark = pytest.mark.django_db


def stream_path(summary_id: int) -> str:
    return f"/api/study/summaries/{summary_id}/stream/"


def ticket_for(client: APIClient, summary_id: int) -> dict[str, Any]:
    response = client.post(f"/api/study/summaries/{summary_id}/stream-ticket/")
    assert response.status_code == 200, response.content
    return dict(response.json())


def pending(user, subject) -> StudySummary:
    return StudySummary.objects.create(
        user=user, subject=subject, content=ENGLISH_TEXT, summary_type="detailed"
    )


def completed(user, subject, text: str) -> StudySummary:
    return StudySummary.objects.create(
        user=user,
        subject=subject,
        content=ENGLISH_TEXT,
        summary_type="brief",
        status="completed",
        summary=text,
    )


def read_body(response) -> bytes:
    assert response.status_code == 200, getattr(response, "content", b"")
    assert response["Content-Type"].startswith("text/event-stream")
    return b"".join(response.streaming_content)


def open_with_ticket(url: str, **headers: str):
    """What a browser's EventSource does: a GET of the URL, no Authorization header."""
    return APIClient().get(url, headers={"Accept": "text/event-stream", **headers})


def visible(text: str) -> str:
    return "".join(text.split())


# --- tickets ------------------------------------------------------------------------------------


class TestTickets:
    def test_a_ticket_opens_the_stream_without_an_authorization_header(
        self, auth_client, user, subject
    ):
        summary = pending(user, subject)
        before = timezone.now()
        ticket = ticket_for(auth_client, summary.pk)
        expires_at = datetime.datetime.fromisoformat(ticket["expires_at"])
        assert datetime.timedelta(seconds=55) < expires_at - before < datetime.timedelta(seconds=61)
        url = urlsplit(ticket["stream_url"])
        assert url.path == stream_path(summary.pk)
        assert parse_qs(url.query) == {"ticket": [ticket["ticket"]]}

        events = parse_events(read_body(open_with_ticket(ticket["stream_url"])))
        assert events[-1][0] == "done"
        assert events[-1][1]["status"] == "completed"
        assert AIUsage.objects.get(user=user).streamed

    def test_a_ticket_opens_one_stream_once(self, auth_client, user, subject):
        summary = completed(user, subject, "Done.")
        ticket = ticket_for(auth_client, summary.pk)
        assert open_with_ticket(ticket["stream_url"]).status_code == 200
        replayed = open_with_ticket(ticket["stream_url"])
        assert replayed.status_code == 401
        assert replayed.json()["error"]["code"] == "authentication_failed"

    def test_a_ticket_is_for_its_summary_only(self, auth_client, user, subject):
        first = completed(user, subject, "One.")
        second = completed(user, subject, "Two.")
        ticket = ticket_for(auth_client, first.pk)["ticket"]
        response = open_with_ticket(f"{stream_path(second.pk)}?ticket={ticket}")
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "authentication_failed"
        assert response["WWW-Authenticate"].startswith("Bearer")
        # Refused before use: it still opens its own summary.
        assert open_with_ticket(f"{stream_path(first.pk)}?ticket={ticket}").status_code == 200

    def test_an_expired_ticket_is_refused(self, auth_client, user, subject):
        summary = completed(user, subject, "Done.")
        ticket = ticket_for(auth_client, summary.pk)
        with time_machine.travel(timezone.now() + datetime.timedelta(seconds=62)):
            response = open_with_ticket(ticket["stream_url"])
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "authentication_failed"

    def test_a_tampered_ticket_is_refused(self, auth_client, user, subject):
        summary = completed(user, subject, "Done.")
        ticket = ticket_for(auth_client, summary.pk)["ticket"]
        body, _, signature = ticket.rpartition(":")
        flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
        for forged in (f"{body}:{flipped}", "not-a-ticket", ""):
            response = open_with_ticket(f"{stream_path(summary.pk)}?ticket={forged}")
            assert response.status_code == 401, forged
            assert response.json()["error"]["code"] == "authentication_failed"

    def test_a_ticket_of_a_deactivated_user_is_refused(self, auth_client, user, subject):
        summary = completed(user, subject, "Done.")
        ticket = ticket_for(auth_client, summary.pk)
        user.is_active = False
        user.save(update_fields=["is_active"])
        assert open_with_ticket(ticket["stream_url"]).status_code == 401

    def test_a_ticket_opens_nothing_else(self, auth_client, user, subject):
        summary = completed(user, subject, "Done.")
        ticket = ticket_for(auth_client, summary.pk)["ticket"]
        detail = APIClient().get(f"/api/study/summaries/{summary.pk}/?ticket={ticket}")
        assert detail.status_code == 401

    def test_no_ticket_for_another_learners_summary(self, other_client, user, subject):
        summary = completed(user, subject, "Done.")
        response = other_client.post(f"/api/study/summaries/{summary.pk}/stream-ticket/")
        assert response.status_code == 404

    def test_tickets_need_a_signed_in_learner(self, api_client, user, subject):
        summary = completed(user, subject, "Done.")
        response = api_client.post(f"/api/study/summaries/{summary.pk}/stream-ticket/")
        assert response.status_code == 401


@pytest.mark.django_db(transaction=True)
def test_a_ticket_streams_over_asgi(user):
    """As daphne serves it: the ticketed stream, no Authorization header, events as they come."""
    subject = SubjectFactory.create(created_by=user)
    summary = pending(user, subject)
    client = APIClient()
    client.force_authenticate(user)
    ticket = ticket_for(client, summary.pk)

    async def fetch() -> tuple[int, bytes]:
        response: Any = await AsyncClient().get(ticket["stream_url"])
        body = b"".join([chunk async for chunk in response.streaming_content])
        return response.status_code, body

    status, body = async_to_sync(fetch)()
    assert status == 200
    assert parse_events(body)[-1][0] == "done"


# --- event ids and resuming ---------------------------------------------------------------------


def _live_stream(auth_client, user, subject) -> tuple[StudySummary, list[dict[str, str]]]:
    summary = pending(user, subject)
    body = read_body(auth_client.get(stream_path(summary.pk), HTTP_ACCEPT="text/event-stream"))
    summary.refresh_from_db()
    return summary, parse_blocks(body)


def _tokens(blocks: list[dict[str, str]]) -> list[tuple[int, str]]:
    return [
        (int(b["id"]), json.loads(b["data"])["text"]) for b in blocks if b.get("event") == "token"
    ]


class TestEventIds:
    def test_the_stream_starts_with_a_retry_hint_and_ids_increase(self, auth_client, user, subject):
        summary, blocks = _live_stream(auth_client, user, subject)
        assert blocks[0] == {"retry": "3000"}
        tokens = _tokens(blocks[1:])
        ids = [event_id for event_id, _text in tokens]
        assert len(ids) > 3
        assert ids == sorted(set(ids))
        # An id counts the visible characters received so far.
        streamed = ""
        for event_id, text in tokens:
            streamed += text
            assert event_id == len(visible(streamed))
        done = blocks[-1]
        assert done["event"] == "done"
        assert int(done["id"]) == len(visible(summary.summary)) + 1

    def test_errors_carry_no_id(self, auth_client, user, subject):
        summary = StudySummary.objects.create(
            user=user,
            subject=subject,
            content=ENGLISH_TEXT,
            summary_type="brief",
            status="failed",
            error_code="ai_unavailable",
            error="down",
        )
        response = auth_client.get(stream_path(summary.pk), headers={"Last-Event-ID": "4"})
        blocks = parse_blocks(read_body(response))
        assert blocks[1:] == [
            {"event": "error", "data": '{"code":"ai_unavailable","message":"down"}'}
        ]


class TestResume:
    def test_a_completed_summary_resumes_after_the_last_event(self, auth_client, user, subject):
        summary, blocks = _live_stream(auth_client, user, subject)
        tokens = _tokens(blocks)
        last_id, _ = tokens[2]
        received = "".join(text for _id, text in tokens[:3])

        response = auth_client.get(stream_path(summary.pk), headers={"Last-Event-ID": str(last_id)})
        resumed = parse_blocks(read_body(response))
        rest = _tokens(resumed)
        assert len(rest) == 1
        assert visible(received + rest[0][1]) == visible(summary.summary)
        # A suffix of the stored text: what follows the last character received.
        assert summary.summary.endswith(rest[0][1])
        assert len(rest[0][1]) < len(summary.summary)
        assert resumed[-1]["event"] == "done"
        assert int(resumed[-1]["id"]) == rest[0][0] + 1

    def test_the_query_parameter_resumes_a_fresh_page_and_the_header_wins(
        self, auth_client, user, subject
    ):
        summary = completed(user, subject, "Photosynthesis makes sugar from light.")
        # "Photosynthesis" is 14 visible characters.
        query = parse_events(
            read_body(auth_client.get(f"{stream_path(summary.pk)}?last_event_id=14"))
        )
        assert query[0] == ("token", {"text": " makes sugar from light."})
        header = parse_events(
            read_body(
                auth_client.get(
                    f"{stream_path(summary.pk)}?last_event_id=14",
                    headers={"Last-Event-ID": "19"},  # + "makes"
                )
            )
        )
        assert header[0] == ("token", {"text": " sugar from light."})

    def test_a_ticket_and_last_event_id_together(self, auth_client, user, subject):
        summary = completed(user, subject, "Photosynthesis makes sugar from light.")
        ticket = ticket_for(auth_client, summary.pk)
        response = open_with_ticket(f"{ticket['stream_url']}&last_event_id=28")
        events = parse_events(read_body(response))
        assert events[0] == ("token", {"text": " light."})

    def test_everything_received_is_204_so_the_browser_stops(self, auth_client, user, subject):
        summary = completed(user, subject, "Short.")
        done_id = len("Short.") + 1
        response = auth_client.get(stream_path(summary.pk), headers={"Last-Event-ID": str(done_id)})
        assert response.status_code == 204
        # The text received, but not `done`: only `done` again.
        blocks = parse_blocks(
            read_body(
                auth_client.get(
                    stream_path(summary.pk), headers={"Last-Event-ID": str(done_id - 1)}
                )
            )
        )
        assert [b.get("event") for b in blocks] == [None, "done"]

    def test_a_summary_still_generating_resumes_past_the_position(self, auth_client, user, subject):
        summary = pending(user, subject)
        response = auth_client.get(stream_path(summary.pk), headers={"Last-Event-ID": "25"})
        blocks = parse_blocks(read_body(response))
        summary.refresh_from_db()
        rest = "".join(text for _id, text in _tokens(blocks))
        assert visible(rest) == visible(summary.summary)[25:]
        assert min(event_id for event_id, _text in _tokens(blocks)) > 25

    def test_a_bad_last_event_id_is_a_validation_error(self, auth_client, user, subject):
        summary = completed(user, subject, "Done.")
        for bad in ("-1", "abc", "9" * 20):
            response = auth_client.get(stream_path(summary.pk), headers={"Last-Event-ID": bad})
            assert response.status_code == 400, bad
            assert list(response.json()["error"]["fields"]) == ["last_event_id"]
