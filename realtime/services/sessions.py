"""Writes of learning sessions: start, heartbeat, end (by the learner or after inactivity).

A session's row is created at start and claimed once at the end with a conditional UPDATE
(`status` active -> ended), so the learner ending it and the inactivity sweep ending it at the
same moment produce one report, one study log and one profile observation.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import structlog
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from personalization.services import learning_session_record_on_commit
from study.selectors import subject_get
from study.services import progress_log
from studymate_api.core.errors import ApplicationError, Conflict, ErrorCode
from studymate_api.metrics import track_event
from studymate_api.streaming import get_stream_processor

from ..analysis import Event, apply_event, metrics_of
from ..broadcast import broadcast_on_commit, learner_group
from ..models import EndReason, LearningSession, SessionStatus
from ..selectors.sessions import (
    active_sessions_all,
    learning_session_get,
    live_session_meta,
    owned_live_session,
    session_meta_of,
)
from ..session_state import (
    SessionMeta,
    heartbeat_store,
    meta_store,
    state_forget,
    state_load,
)
from ..streams import activity_stream_for

if TYPE_CHECKING:
    from accounts.models import User

logger = structlog.get_logger(__name__)

MAX_LOGGED_MINUTES = 1440


class SessionAlreadyActive(Conflict):
    code = ErrorCode.SESSION_ALREADY_ACTIVE
    default_message = _(
        "A learning session for this subject is already running. End it first, or continue it "
        "(see learning/active_sessions/)."
    )


def learning_session_start(
    *, user: User, subject_id: int, goal_minutes: int | None = None
) -> LearningSession:
    """Start a live session; one active session per learner and subject (409 otherwise)."""
    subject = subject_get(user=user, subject_id=subject_id)
    if LearningSession.objects.filter(
        user=user, subject=subject, status=SessionStatus.ACTIVE
    ).exists():
        raise SessionAlreadyActive()
    try:
        with transaction.atomic():
            session = LearningSession.objects.create(
                user=user, subject=subject, goal_minutes=goal_minutes, started_at=timezone.now()
            )
    except IntegrityError:  # a concurrent start won the unique constraint
        raise SessionAlreadyActive() from None
    meta_store(session_meta_of(session))
    track_event("learning_session_started", user=user, subject_id=subject.pk)
    return session


def learning_session_heartbeat(*, user_id: int, session_id: object) -> float:
    """The learner's socket is still there; returns the time recorded."""
    meta = owned_live_session(user_id=user_id, session_id=session_id)
    now = time.time()
    heartbeat_store(meta.session_id, now)
    return now


def learning_session_end(*, user: User, session_id: object) -> LearningSession:
    """End the learner's own session and return its report; ending an ended session returns
    the report it already has."""
    session = learning_session_get(user=user, session_id=session_id)
    if session.status == SessionStatus.ENDED:
        return session
    learning_session_finish(session_id=str(session.pk), reason=EndReason.USER)
    session.refresh_from_db()
    return session


def learning_session_finish(*, session_id: str, reason: EndReason) -> bool:
    """Claim the active session, write its report, credit the study time; False when it had
    already ended (someone else finished it)."""
    meta = live_session_meta(session_id=session_id)
    now = time.time()
    with transaction.atomic():
        claimed = LearningSession.objects.filter(pk=session_id, status=SessionStatus.ACTIVE).update(
            status=SessionStatus.ENDED, end_reason=reason, ended_at=timezone.now()
        )
        if not claimed:
            return False
        session = LearningSession.objects.select_related("user").get(pk=session_id)
        meta = meta or session_meta_of(session)
        _write_report(session, _final_report(meta, reason, now))
        _credit_study_time(session)
        _after_commit(session)
    return True


@dataclass(frozen=True, slots=True)
class _Report:
    duration_minutes: float
    focus_score: float
    pace: float
    efficiency: float
    interruptions: int
    answers: int
    correct_answers: int
    notes: int
    events: int
    feedback: list[dict[str, object]]


def _final_report(meta: SessionMeta, reason: EndReason, now: float) -> _Report:
    """The final numbers: the analyzer's state brought up to now. After inactivity, the session
    lasted until the last activity (the idle half hour is not study time)."""
    state = state_load(meta)
    analysis = state.analysis
    with translation.override(meta.language):
        apply_event(analysis, Event(at=now, kind="tick"), meta.profile)
    metrics = metrics_of(analysis, meta.profile)
    until = state.last_activity_at if reason == EndReason.INACTIVE else now
    return _Report(
        duration_minutes=round(max(until - meta.started_at, 0.0) / 60, 2),
        focus_score=metrics.focus_score,
        pace=metrics.pace,
        efficiency=metrics.efficiency,
        interruptions=metrics.interruptions,
        answers=metrics.answers,
        correct_answers=metrics.correct_answers,
        notes=metrics.notes,
        events=analysis.events,
        feedback=list(analysis.feedback),
    )


def _write_report(session: LearningSession, report: _Report) -> None:
    for name in report.__dataclass_fields__:
        setattr(session, name, getattr(report, name))
    session.save(update_fields=[*report.__dataclass_fields__])


def _credit_study_time(session: LearningSession) -> None:
    """Log the session's whole minutes as study time in its subject (none under a minute)."""
    minutes = min(round(session.duration_minutes), MAX_LOGGED_MINUTES)
    if minutes < 1:
        return
    try:
        progress_log(
            user=session.user,
            subject_id=session.subject_id,
            minutes=minutes,
            topics_covered=(),
            when=session.ended_at,
        )
    except ApplicationError as error:  # e.g. the subject is no longer visible to the learner
        logger.warning(
            "learning_session_progress_skipped", session=str(session.pk), error=str(error)
        )
        return
    session.minutes_logged = minutes
    session.save(update_fields=["minutes_logged"])


def _after_commit(session: LearningSession) -> None:
    session_id = str(session.pk)
    transaction.on_commit(lambda: state_forget(session_id))
    transaction.on_commit(lambda: _tell_personalization(session))
    transaction.on_commit(
        lambda: track_event(
            "learning_session_ended",
            user=session.user,
            subject_id=session.subject_id,
            minutes=session.duration_minutes,
            reason=session.end_reason,
        )
    )
    broadcast_on_commit(
        learner_group(session.user_id),
        {
            "type": "session_ended",
            "session_id": session_id,
            "reason": session.end_reason,
            "report": session_report(session),
        },
    )


def _tell_personalization(session: LearningSession) -> None:
    """The profile learns from the session (through a task: this runs after commit); a failure
    there must not undo the ended session."""
    try:
        learning_session_record_on_commit(
            user=session.user,
            subject_id=session.subject_id,
            started_at=session.started_at,
            duration_minutes=session.duration_minutes,
            focus_score=session.focus_score,
            session_id=str(session.pk),
        )
    except Exception:
        logger.exception("learning_session_profile_failed", session=str(session.pk))


def session_report(session: LearningSession) -> dict[str, object]:
    """The report as API.md shows it (also sent to the learner's sockets)."""
    return {
        "session_id": str(session.pk),
        "subject_id": session.subject_id,
        "status": session.status,
        "end_reason": session.end_reason or None,
        "started_at": session.started_at.isoformat(),
        "ended_at": session.ended_at.isoformat() if session.ended_at else None,
        "duration_minutes": session.duration_minutes,
        "focus_score": session.focus_score,
        "pace": session.pace,
        "efficiency": session.efficiency,
        "interruptions": session.interruptions,
        "answers": session.answers,
        "correct_answers": session.correct_answers,
        "notes": session.notes,
        "minutes_logged": session.minutes_logged,
        "feedback": session.feedback,
    }


@dataclass(frozen=True, slots=True)
class SweepResult:
    ended: int
    ticked: int


def learning_sessions_sweep(*, now: float | None = None) -> SweepResult:
    """End the sessions idle for REALTIME_SESSION_IDLE_SECONDS (30 minutes); send a clock
    tick into the activity stream for the others, so time-based feedback (break, idle) fires
    and live metrics follow a learner who stopped sending events. Idempotent."""
    now = time.time() if now is None else now
    idle_limit = settings.REALTIME_SESSION_IDLE_SECONDS
    ended, ticks = 0, []
    for session in active_sessions_all():
        meta = live_session_meta(session_id=str(session.pk))
        last_activity = (
            state_load(meta).last_activity_at if meta else session.started_at.timestamp()
        )
        if now - last_activity >= idle_limit:
            ended += int(
                learning_session_finish(session_id=str(session.pk), reason=EndReason.INACTIVE)
            )
        elif meta is not None:
            tick = {
                "session_id": meta.session_id,
                "user_id": meta.user_id,
                "event": "tick",
                "at": now,
            }
            ticks.append((activity_stream_for(meta.user_id), tick))  # the learner's partition
    if ticks:
        get_stream_processor().publish_routed(ticks)
    return SweepResult(ended=ended, ticked=len(ticks))
