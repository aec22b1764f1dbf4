"""Reads of learning sessions: ownership, live state, the learner's profile and dashboard."""

from __future__ import annotations

import datetime
import statistics
import uuid
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Avg, Count, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.selectors import user_preferred_language
from study.selectors import study_settings_preferences
from studymate_api.core.errors import NotFound

from ..analysis import LearnerProfile
from ..models import LearningSession, SessionStatus
from ..session_state import (
    LearningSessionState,
    SessionMeta,
    meta_load,
    meta_store,
    metas_load,
    state_load,
)

if TYPE_CHECKING:
    from accounts.models import User

PROFILE_HISTORY = 20  # ended sessions that make up a learner's habits
MIN_HABIT_MINUTES = 5.0  # shorter sessions say nothing about habits
RECENT_SESSIONS = 10
DASHBOARD_DAYS = 7


def _parse_id(session_id: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(session_id))
    except ValueError:
        return None


def learning_session_get(*, user: User, session_id: object) -> LearningSession:
    """The learner's own session; anyone else's (or a malformed id) is not found."""
    parsed = _parse_id(session_id)
    found = (
        LearningSession.objects.filter(pk=parsed, user=user).select_related("subject").first()
        if parsed
        else None
    )
    if found is None:
        raise NotFound(_("Learning session not found."))
    return found


def learning_sessions_active_queryset(*, user: User) -> QuerySet[LearningSession]:
    return LearningSession.objects.filter(user=user, status=SessionStatus.ACTIVE).select_related(
        "subject"
    )


def learning_sessions_active(*, user: User) -> list[LearningSession]:
    return list(learning_sessions_active_queryset(user=user))


def learner_profile(*, user: User) -> LearnerProfile:
    """Habits from the learner's own ended sessions: the median length of their sessions
    (their pomodoro length before they have any) and their average pace."""
    history = list(
        LearningSession.objects.filter(
            user=user, status=SessionStatus.ENDED, duration_minutes__gte=MIN_HABIT_MINUTES
        )
        .order_by("-started_at")
        .values_list("duration_minutes", "pace")[:PROFILE_HISTORY]
    )
    if not history:
        pomodoro = study_settings_preferences(user=user).pomodoro_minutes
        return LearnerProfile(usual_session_minutes=float(pomodoro), baseline_pace=None)
    durations = [duration for duration, _pace in history]
    paces = [pace for _duration, pace in history]
    return LearnerProfile(
        usual_session_minutes=round(statistics.median(durations), 1),
        baseline_pace=round(statistics.fmean(paces), 2) or None,
    )


def session_meta_of(session: LearningSession) -> SessionMeta:
    return SessionMeta(
        session_id=str(session.pk),
        user_id=session.user_id,
        subject_id=session.subject_id,
        started_at=session.started_at.timestamp(),
        goal_minutes=session.goal_minutes,
        profile=learner_profile(user=session.user),
        language=learner_language(user=session.user),
    )


def learner_language(*, user: User) -> str:
    """The language the learner reads feedback in (their profile's, else the site's)."""
    return user_preferred_language(user=user) or settings.LANGUAGE_CODE


def live_session_meta(*, session_id: str) -> SessionMeta | None:
    """The meta of an active session, rebuilt from the database when the cache lost it;
    None when the session ended or does not exist."""
    meta = meta_load(session_id)
    if meta is False:
        return None
    if meta is None or meta is True:
        parsed = _parse_id(session_id)
        row = (
            LearningSession.objects.filter(pk=parsed, status=SessionStatus.ACTIVE)
            .select_related("user")
            .first()
            if parsed
            else None
        )
        if row is None:
            return None
        meta = session_meta_of(row)
        meta_store(meta)
    return meta


def live_session_metas(
    session_ids: list[str], *, known: dict[str, SessionMeta | bool] | None = None
) -> dict[str, SessionMeta]:
    """`live_session_meta` for many sessions: one cache round trip when they are all known,
    none when the caller read them already (`known`, from `session_state.live_states_load`)."""
    known = metas_load(session_ids) if known is None else known
    metas = {sid: meta for sid, meta in known.items() if isinstance(meta, SessionMeta)}
    for session_id in session_ids:
        if session_id not in known:
            rebuilt = live_session_meta(session_id=session_id)
            if rebuilt is not None:
                metas[session_id] = rebuilt
    return metas


def owned_live_session(*, user_id: int, session_id: object) -> SessionMeta:
    """The live session `session_id` of this learner; anyone else's is not found."""
    meta = live_session_meta(session_id=str(session_id)) if _parse_id(session_id) else None
    if meta is None or meta.user_id != user_id:
        raise NotFound(_("No live learning session with this id."))
    return meta


def learning_session_live_state(session: LearningSession) -> LearningSessionState | None:
    if session.status != SessionStatus.ACTIVE:
        return None
    meta = live_session_meta(session_id=str(session.pk))
    return None if meta is None else state_load(meta)


@dataclass(frozen=True, slots=True)
class DashboardTotals:
    sessions: int
    minutes: float
    average_focus_score: float | None
    average_efficiency: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def learning_dashboard(*, user: User) -> dict[str, Any]:
    """Live sessions with their metrics, the last ended sessions and the week's totals."""
    since = timezone.now() - datetime.timedelta(days=DASHBOARD_DAYS)
    ended = LearningSession.objects.filter(user=user, status=SessionStatus.ENDED)
    totals = ended.filter(started_at__gte=since).aggregate(
        sessions=Count("id"),
        minutes=Sum("duration_minutes"),
        focus=Avg("focus_score"),
        efficiency=Avg("efficiency"),
    )
    return {
        "active_sessions": learning_sessions_active(user=user),
        "recent_sessions": list(ended.select_related("subject")[:RECENT_SESSIONS]),
        "totals": DashboardTotals(
            sessions=totals["sessions"],
            minutes=round(totals["minutes"] or 0.0, 1),
            average_focus_score=_rounded(totals["focus"]),
            average_efficiency=_rounded(totals["efficiency"]),
        ),
        "profile": learner_profile(user=user),
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def active_sessions_all(*, limit: int = 1000) -> list[LearningSession]:
    """Every active session, oldest first (operators and the sweep)."""
    return list(
        LearningSession.objects.filter(status=SessionStatus.ACTIVE)
        .select_related("user", "subject")
        .order_by("started_at")[:limit]
    )


def learning_sessions_active_count() -> int:
    """How many learning sessions are active, everyone's (the staff system monitor)."""
    return LearningSession.objects.filter(status=SessionStatus.ACTIVE).count()
