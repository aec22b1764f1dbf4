"""LearningSessionState: the live state of a learning session, held in the cache.

Redis when REDIS_URL is set (every web, stream and worker process sees the same state), the
local-memory cache when embedded (one process does everything). Never in a process's own
memory. Three keys per session, each with one writer, so no update can overwrite another's:

- `meta`: who, which subject, since when, the learner profile (written at start; at the end
  replaced by an "ended" tombstone so late events are dropped without a database query);
- `analysis`: the analyzer's state (written only by the stream consumer of the analyzer);
- `heartbeat`: when a socket of the learner last said it is still there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from django.conf import settings
from django.core.cache import cache

from .analysis import AnalyzerState, LearnerProfile, Metrics, RealTimeLearningAnalyzer, metrics_of

_PREFIX: Final = "realtime:learning:"
# Active sessions end after 30 idle minutes (the sweep); a day covers any lag of the sweep.
STATE_TTL_SECONDS: Final = 24 * 3600
TOMBSTONE_TTL_SECONDS: Final = 3600


@dataclass(frozen=True, slots=True)
class SessionMeta:
    session_id: str
    user_id: int
    subject_id: int
    started_at: float  # epoch seconds
    goal_minutes: int | None
    profile: LearnerProfile
    language: str = "ko"  # of the feedback messages: the learner's preferred language

    def as_dict(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "user_id": self.user_id,
            "subject_id": self.subject_id,
            "started_at": self.started_at,
            "goal_minutes": self.goal_minutes,
            "profile": self.profile.as_dict(),
            "language": self.language,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SessionMeta:
        return cls(
            session_id=str(data["session_id"]),
            user_id=int(data["user_id"]),
            subject_id=int(data["subject_id"]),
            started_at=float(data["started_at"]),
            goal_minutes=data.get("goal_minutes"),
            profile=LearnerProfile.from_dict(data.get("profile", {})),
            language=str(data.get("language") or settings.LANGUAGE_CODE),
        )


@dataclass(frozen=True, slots=True)
class LearningSessionState:
    """What a live session looks like right now."""

    meta: SessionMeta
    analysis: AnalyzerState
    last_heartbeat_at: float | None

    @property
    def metrics(self) -> Metrics:
        return metrics_of(self.analysis, self.meta.profile)

    @property
    def last_activity_at(self) -> float:
        """The last activity event, or the start when there was none."""
        return self.analysis.last_activity_at or self.meta.started_at


def _key(session_id: str, part: str) -> str:
    return f"{_PREFIX}{session_id}:{part}"


# Meta


def meta_store(meta: SessionMeta) -> None:
    cache.set(_key(meta.session_id, "meta"), meta.as_dict(), STATE_TTL_SECONDS)


def meta_load(session_id: str) -> SessionMeta | bool | None:
    """The meta; False for a session known to have ended; None when the cache does not know
    (never started, or evicted: the caller may rebuild it from the database)."""
    raw = cache.get(_key(session_id, "meta"))
    if raw is None:
        return None
    if raw.get("ended"):
        return False
    return SessionMeta.from_dict(raw)


def metas_load(session_ids: Iterable[str]) -> dict[str, SessionMeta | bool]:
    """Like `meta_load` for many sessions in one round trip; unknown ones are left out."""
    keys = {_key(session_id, "meta"): session_id for session_id in session_ids}
    return {keys[key]: _meta_or_ended(raw) for key, raw in cache.get_many(list(keys)).items()}


def live_states_load(
    session_ids: Iterable[str],
) -> tuple[dict[str, SessionMeta | bool], dict[str, AnalyzerState]]:
    """`metas_load` and the stored analyzer states of the same sessions in one round trip
    (the analyzer's read of a batch); sessions without a stored state are left out."""
    ids = list(session_ids)
    meta_keys = {_key(session_id, "meta"): session_id for session_id in ids}
    analysis_keys = {_key(session_id, "analysis"): session_id for session_id in ids}
    stored = cache.get_many([*meta_keys, *analysis_keys])
    metas = {meta_keys[key]: _meta_or_ended(stored[key]) for key in meta_keys if key in stored}
    analyses = {
        analysis_keys[key]: AnalyzerState.from_dict(stored[key])
        for key in analysis_keys
        if key in stored
    }
    return metas, analyses


def _meta_or_ended(raw: Mapping[str, Any]) -> SessionMeta | bool:
    return False if raw.get("ended") else SessionMeta.from_dict(raw)


def state_forget(session_id: str) -> None:
    """The session ended: drop its live state, leave a tombstone for late events."""
    cache.set(_key(session_id, "meta"), {"ended": True}, TOMBSTONE_TTL_SECONDS)
    cache.delete_many([_key(session_id, "analysis"), _key(session_id, "heartbeat")])


# Analysis


def analysis_store_many(states: Mapping[str, AnalyzerState]) -> None:
    values = {_key(sid, "analysis"): state.as_dict() for sid, state in states.items()}
    if len(values) == 1:
        # The usual batch at a few events a second: one SET, where django-redis' `set_many`
        # wraps even one key in MULTI/EXEC (three commands).
        [(key, value)] = values.items()
        cache.set(key, value, STATE_TTL_SECONDS)
    elif values:
        cache.set_many(values, STATE_TTL_SECONDS)


def analysis_load_many(metas: Iterable[SessionMeta]) -> dict[str, AnalyzerState]:
    """The analyzer state of each session; a fresh one for a session without a stored state."""
    by_key = {_key(meta.session_id, "analysis"): meta for meta in metas}
    stored = cache.get_many(list(by_key))
    return {
        meta.session_id: (
            AnalyzerState.from_dict(stored[key])
            if key in stored
            else RealTimeLearningAnalyzer.start(meta.started_at)
        )
        for key, meta in by_key.items()
    }


# Heartbeat


def heartbeat_store(session_id: str, at: float) -> None:
    cache.set(_key(session_id, "heartbeat"), at, STATE_TTL_SECONDS)


def state_load(meta: SessionMeta) -> LearningSessionState:
    keys = [_key(meta.session_id, "analysis"), _key(meta.session_id, "heartbeat")]
    stored = cache.get_many(keys)
    analysis_raw = stored.get(keys[0])
    analysis = (
        AnalyzerState.from_dict(analysis_raw)
        if analysis_raw is not None
        else RealTimeLearningAnalyzer.start(meta.started_at)
    )
    heartbeat = stored.get(keys[1])
    return LearningSessionState(meta, analysis, None if heartbeat is None else float(heartbeat))
