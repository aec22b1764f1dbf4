"""The inactivity sweep (Celery beat): idle sessions end with a report; others get a tick."""

from __future__ import annotations

import datetime
import time

import pytest
from django.conf import settings

from realtime.analysis import Event, apply_event
from realtime.models import EndReason, LearningSession
from realtime.selectors.sessions import live_session_meta, session_meta_of
from realtime.services.sessions import learning_session_finish, learning_sessions_sweep
from realtime.session_state import analysis_load_many, analysis_store_many, meta_store
from realtime.streams import activity_stream_for
from realtime.tasks import sweep_learning_sessions
from study.models import StudyProgress
from studymate_api.streaming import get_stream_processor
from tests.realtime.learning_support import start_session

pytestmark = pytest.mark.django_db

IDLE = 30 * 60


def record_activity(session: LearningSession, *offsets: float) -> float:
    """Fold answers at these offsets (seconds after the start) into the live state."""
    meta = live_session_meta(session_id=str(session.pk))
    assert meta is not None
    state = analysis_load_many([meta])[meta.session_id]
    for offset in offsets:
        apply_event(state, Event(meta.started_at + offset, "answer", True), meta.profile)
    analysis_store_many({meta.session_id: state})
    return meta.started_at


def test_the_beat_schedule_runs_the_sweep_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["realtime-sweep-learning-sessions"]
    assert entry == {"task": "realtime.sweep_learning_sessions", "schedule": 60.0}


def test_a_session_without_activity_for_30_minutes_ends(user, django_capture_on_commit_callbacks):
    session = start_session(user)
    started = session.started_at.timestamp()
    assert learning_sessions_sweep(now=started + IDLE - 5).ended == 0
    with django_capture_on_commit_callbacks(execute=True):
        result = learning_sessions_sweep(now=started + IDLE + 1)
    assert result.ended == 1
    session.refresh_from_db()
    assert (session.status, session.end_reason) == ("ended", "inactive")
    assert session.duration_minutes == 0.0  # it lasted until its last activity: the start
    assert session.minutes_logged == 0
    assert live_session_meta(session_id=str(session.pk)) is None


def test_the_idle_half_hour_is_not_study_time(user):
    session = start_session(user)
    started = record_activity(session, 60, 300, 600)  # last activity 10 minutes in
    assert learning_sessions_sweep(now=started + 600 + IDLE - 1).ended == 0
    assert learning_sessions_sweep(now=started + 600 + IDLE).ended == 1
    session.refresh_from_db()
    assert session.end_reason == "inactive"
    assert session.duration_minutes == 10.0
    assert session.minutes_logged == 10
    assert session.answers == 3
    assert StudyProgress.objects.get(user=user, subject=session.subject).total_study_minutes == 10


def test_live_sessions_get_a_tick_in_their_learners_partition(user):
    session = start_session(user)
    processor = get_stream_processor()
    partition = activity_stream_for(user.pk)
    before = processor.status(partition).length
    result = learning_sessions_sweep()
    assert (result.ended, result.ticked) == (0, 1)
    assert processor.status(partition).length == before + 1
    session.refresh_from_db()
    assert session.status == "active"


def test_the_sweep_and_the_learner_cannot_both_end_a_session(user):
    session = start_session(user)
    assert learning_session_finish(session_id=str(session.pk), reason=EndReason.USER) is True
    assert learning_session_finish(session_id=str(session.pk), reason=EndReason.INACTIVE) is False
    result = learning_sessions_sweep(now=time.time() + 2 * IDLE)
    assert result.ended == 0
    session.refresh_from_db()
    assert session.end_reason == "user"


def test_the_task_runs_the_sweep(user):
    session = start_session(user)
    started = session.started_at - datetime.timedelta(hours=1)
    LearningSession.objects.filter(pk=session.pk).update(started_at=started)
    meta_store(session_meta_of(LearningSession.objects.get(pk=session.pk)))
    assert sweep_learning_sessions.apply().get() == {"ended": 1, "ticked": 0}
    session.refresh_from_db()
    assert session.end_reason == "inactive"
