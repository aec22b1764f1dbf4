"""Learning session endpoints under /api/study/realtime/ (API.md "Realtime")."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.conf import settings
from django.utils import timezone

from personalization.models import LearnerProfile, ProcessedActivity
from realtime.analysis import Event, apply_event
from realtime.models import LearningSession
from realtime.selectors.sessions import live_session_meta, session_meta_of
from realtime.services.sessions import learning_session_start
from realtime.session_state import analysis_load_many, analysis_store_many, meta_store
from realtime.streams import activity_stream_for
from study.models import StudyProgress
from studymate_api.streaming import get_stream_processor
from tests.conftest import login_tokens
from tests.factories import UserFactory
from tests.realtime.learning_support import make_subject

pytestmark = pytest.mark.django_db

BASE = "/api/study/realtime/"


def start(client, subject_id, **extra):
    return client.post(f"{BASE}learning/start_session/", {"subject_id": subject_id, **extra})


def backdate(session_id: str, minutes: float) -> None:
    """Pretend the session started `minutes` ago (row and cached meta agree)."""
    started = timezone.now() - datetime.timedelta(minutes=minutes)
    LearningSession.objects.filter(pk=session_id).update(started_at=started)
    meta_store(session_meta_of(LearningSession.objects.select_related("user").get(pk=session_id)))


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]


def test_start_answers_201_with_session_id_and_websocket_url(auth_client, user):
    subject = make_subject(user)
    response = start(auth_client, subject.pk, goal_minutes=45)
    assert response.status_code == 201, response.content
    body = response.json()
    assert uuid.UUID(body["session_id"])
    assert body["websocket_url"] == "ws://testserver/ws/learning/analytics/"
    assert body["subject_id"] == subject.pk
    assert body["goal_minutes"] == 45
    session = LearningSession.objects.get(pk=body["session_id"])
    assert (session.user, session.status) == (user, "active")
    assert live_session_meta(session_id=body["session_id"]) is not None


def test_a_second_start_for_the_same_subject_is_a_conflict(auth_client, user):
    subject = make_subject(user)
    assert start(auth_client, subject.pk).status_code == 201
    assert_error(start(auth_client, subject.pk), 409, "session_already_active")
    other_subject = make_subject(user, "Chemistry")
    assert start(auth_client, other_subject.pk).status_code == 201
    assert LearningSession.objects.filter(user=user, status="active").count() == 2


@pytest.mark.parametrize(
    "body",
    [{}, {"subject_id": "x"}, {"subject_id": 1, "goal_minutes": 0}, {"subject_id": 1, "is": 1}],
)
def test_start_with_bad_input_is_a_validation_error(auth_client, body):
    response = auth_client.post(f"{BASE}learning/start_session/", body)
    assert_error(response, 400, "validation_error")
    assert LearningSession.objects.count() == 0


def test_start_on_someone_elses_private_subject_is_not_found(auth_client):
    hidden = make_subject(UserFactory.create())
    assert_error(start(auth_client, hidden.pk), 404, "not_found")


def test_endpoints_need_a_token(api_client):
    for path in ("learning/active_sessions/", "learning/dashboard/", "streaming/status/"):
        assert_error(api_client.get(f"{BASE}{path}"), 401, "not_authenticated")


def test_end_returns_the_report_and_credits_study_time(auth_client, user):
    subject = make_subject(user)
    session_id = start(auth_client, subject.pk).json()["session_id"]
    backdate(session_id, 10)
    response = auth_client.post(f"{BASE}learning/end_session/", {"session_id": session_id})
    assert response.status_code == 200, response.content
    report = response.json()
    assert set(report) >= {
        "duration_minutes",
        "focus_score",
        "pace",
        "efficiency",
        "interruptions",
        "feedback",
    }
    assert 9.9 <= report["duration_minutes"] <= 10.2
    assert report["status"] == "ended"
    assert report["end_reason"] == "user"
    assert report["minutes_logged"] == 10
    # No activity in 10 minutes: focused for 5, idle for the rest; the break is due at 25.
    assert 49 <= report["focus_score"] <= 51
    assert [item["rule"] for item in report["feedback"]] == ["idle"]
    progress = StudyProgress.objects.get(user=user, subject=subject)
    assert progress.total_study_minutes == 10
    # Ending again returns the same report and logs nothing more.
    again = auth_client.post(f"{BASE}learning/end_session/", {"session_id": session_id})
    assert again.json() == report
    progress.refresh_from_db()
    assert progress.total_study_minutes == 10


def test_end_with_activity_reports_the_analyzer_figures(auth_client, user):
    subject = make_subject(user)
    session_id = start(auth_client, subject.pk).json()["session_id"]
    backdate(session_id, 2)
    meta = live_session_meta(session_id=session_id)
    assert meta is not None
    state = analysis_load_many([meta])[session_id]
    begin = meta.started_at
    for offset, kind, correct in [(30, "answer", True), (60, "answer", False), (90, "note", None)]:
        apply_event(state, Event(begin + offset, kind, correct), meta.profile)
    analysis_store_many({session_id: state})
    report = auth_client.post(f"{BASE}learning/end_session/", {"session_id": session_id}).json()
    assert report["interruptions"] == 0
    assert (report["answers"], report["correct_answers"], report["notes"]) == (2, 1, 1)
    assert report["focus_score"] == 100.0
    assert 1.48 <= report["pace"] <= 1.5  # 2 answers + 1 note in 2 minutes (and a few ms)
    assert 0.49 <= report["efficiency"] <= 0.51  # 1 correct in about 2 focused minutes


def test_someone_elses_session_is_not_found_everywhere(auth_client):
    other = UserFactory.create()
    other_session = LearningSession.objects.create(
        user=other, subject=make_subject(other), started_at=timezone.now()
    )
    body = {"session_id": str(other_session.pk)}
    assert_error(auth_client.post(f"{BASE}learning/end_session/", body), 404, "not_found")
    status = auth_client.get(f"{BASE}learning/session_status/", body)
    assert_error(status, 404, "not_found")
    other_session.refresh_from_db()
    assert other_session.status == "active"


def test_session_status_live_then_ended(auth_client, user):
    session_id = start(auth_client, make_subject(user).pk).json()["session_id"]
    live = auth_client.get(f"{BASE}learning/session_status/", {"session_id": session_id})
    assert live.status_code == 200, live.content
    body = live.json()
    assert body["status"] == "active"
    assert body["report"] is None
    assert body["live"]["metrics"]["focus_score"] == 100.0
    assert body["live"]["events"] == 0
    auth_client.post(f"{BASE}learning/end_session/", {"session_id": session_id})
    ended = auth_client.get(f"{BASE}learning/session_status/", {"session_id": session_id}).json()
    assert ended["status"] == "ended"
    assert ended["live"] is None
    assert ended["report"]["end_reason"] == "user"


def test_session_status_needs_a_valid_id(auth_client):
    assert_error(auth_client.get(f"{BASE}learning/session_status/"), 400, "validation_error")
    bad = auth_client.get(f"{BASE}learning/session_status/", {"session_id": "nope"})
    assert_error(bad, 400, "validation_error")


def test_active_sessions_is_a_paginated_list_of_ones_own(
    auth_client, user, django_assert_max_num_queries
):
    for name in ("A", "B"):
        start(auth_client, make_subject(user, name).pk)
    other = UserFactory.create()
    LearningSession.objects.create(
        user=other, subject=make_subject(other), started_at=timezone.now()
    )
    with django_assert_max_num_queries(6):
        response = auth_client.get(f"{BASE}learning/active_sessions/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert {row["subject_name"] for row in body["results"]} == {"A", "B"}
    assert all(row["live"]["metrics"] for row in body["results"])


def test_dashboard_shows_live_recent_and_totals(auth_client, user):
    subject = make_subject(user)
    first = start(auth_client, subject.pk).json()["session_id"]
    backdate(first, 6)
    auth_client.post(f"{BASE}learning/end_session/", {"session_id": first})
    start(auth_client, subject.pk)
    body = auth_client.get(f"{BASE}learning/dashboard/").json()
    assert len(body["active_sessions"]) == 1
    assert [row["session_id"] for row in body["recent_sessions"]] == [first]
    assert body["totals"]["sessions"] == 1
    assert 5.9 <= body["totals"]["minutes"] <= 6.2
    # One 6-minute session so far: that is now the learner's usual length.
    assert 5.9 <= body["profile"]["usual_session_minutes"] <= 6.2


def test_streaming_endpoints_are_for_staff(auth_client, api_client):
    for path in ("streaming/status/", "streaming/metrics/"):
        assert_error(auth_client.get(f"{BASE}{path}"), 403, "permission_denied")
    staff = UserFactory.create(is_staff=True)
    api_client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {login_tokens(api_client, staff.email)['access']}"
    )
    before = api_client.get(f"{BASE}streaming/status/").json()["length"]
    # Two learners in two partitions: the status sums the partitions.
    get_stream_processor().publish_routed(
        (activity_stream_for(user_id), {"user_id": user_id, "event": "tick"}) for user_id in (1, 2)
    )
    status = api_client.get(f"{BASE}streaming/status/")
    assert status.status_code == 200, status.content
    assert status.json()["stream"] == "learning.activity"
    assert status.json()["partitions"] == settings.STREAM_PARTITIONS
    assert status.json()["length"] == before + 2
    metrics = api_client.get(f"{BASE}streaming/metrics/")
    assert metrics.status_code == 200
    assert set(metrics.json()) >= {"events_per_second", "lag", "pending", "active_sessions"}


def test_an_ended_session_is_told_to_the_personalization_profile(
    auth_client, user, celery_in_process, django_capture_on_commit_callbacks
):
    session_id = start(auth_client, make_subject(user).pk).json()["session_id"]
    backdate(session_id, 20)
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post(f"{BASE}learning/end_session/", {"session_id": session_id})
    assert response.status_code == 200, response.content
    assert ProcessedActivity.objects.filter(key=f"session:{session_id}").exists()
    assert LearnerProfile.objects.filter(user=user).exists()


def test_feedback_is_written_in_the_learners_language(auth_client, user):
    user.profile.preferred_language = "en"
    user.profile.save(update_fields=["preferred_language"])
    english = start(auth_client, make_subject(user).pk).json()["session_id"]
    other = UserFactory.create()  # the profile's default: Korean
    korean = learning_session_start(user=other, subject_id=make_subject(other).pk)
    metas = [live_session_meta(session_id=english), live_session_meta(session_id=str(korean.pk))]
    assert [meta.language if meta else None for meta in metas] == ["en", "ko"]
