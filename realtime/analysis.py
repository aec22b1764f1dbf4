"""RealTimeLearningAnalyzer: live metrics and feedback from a session's activity events.

Pure: no I/O, no clock. Times are seconds (floats, e.g. epoch) stamped by the server when an
event arrived. The analyzer folds events into an `AnalyzerState` one at a time, so the stream
consumer keeps the state between batches and pays O(1) per event; `analyze(events)` is the same
fold over a whole list (what the unit tests check with exact numbers).

Definitions, from the session start `started_at` to the time of the latest event (`as_of`):
- Attention is "focused" at the start; `focus` and the activity events (answer, note, scroll)
  make it focused, `blur` blurred, `idle` idle. `heartbeat`/`tick` only move time forward.
  Focused time without any activity event counts as idle after 5 minutes (the learner left
  without the page noticing).
- focus_score = 100 * focused time / elapsed time, 0-100, one decimal (100 before any time
  has passed). interruptions = switches from focused to blurred or idle.
- pace = (answers + notes) per elapsed minute; pace_ratio = pace / the learner's baseline
  pace (their own earlier sessions), None without a baseline.
- efficiency = correct answers per focused minute (0 with no focused time).

Feedback rules (each fires once per occasion, in event order):
- break: elapsed time reaches the learner's usual session length;
- idle: 5 minutes without activity (idle or blurred, or no activity events);
- streak: every `STREAK_LENGTH` correct answers in a row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Final, Literal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

Attention = Literal["focused", "blurred", "idle"]

ACTIVITY_EVENTS: Final = frozenset({"focus", "blur", "idle", "answer", "scroll", "note"})
CLOCK_EVENTS: Final = frozenset({"heartbeat", "tick"})
EVENT_KINDS: Final = ACTIVITY_EVENTS | CLOCK_EVENTS
# Attention after an activity event; the others (focus, answer, note, scroll) make it focused.
_ATTENTION_AFTER: Final[dict[str, Attention]] = {"blur": "blurred", "idle": "idle"}

IDLE_WARNING_SECONDS: Final = 300.0
STREAK_LENGTH: Final = 5
FEEDBACK_KEPT: Final = 50  # the newest feedback a session keeps (and its report shows)


class RealTimeLearningAnalyzer:
    """Where a session's analysis starts (the name the platform documents); events are applied
    with `apply_event` and read with `metrics_of`."""

    @staticmethod
    def start(started_at: float) -> AnalyzerState:
        return AnalyzerState(started_at=started_at, as_of=started_at)


@dataclass(frozen=True, slots=True)
class LearnerProfile:
    """What the rules know about the learner, fixed when the session starts."""

    usual_session_minutes: float = 25.0
    baseline_pace: float | None = None  # answers + notes per minute in earlier sessions

    def as_dict(self) -> dict[str, Any]:
        return {
            "usual_session_minutes": self.usual_session_minutes,
            "baseline_pace": self.baseline_pace,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LearnerProfile:
        baseline = data.get("baseline_pace")
        return cls(
            usual_session_minutes=float(data.get("usual_session_minutes", 25.0)),
            baseline_pace=None if baseline is None else float(baseline),
        )


@dataclass(frozen=True, slots=True)
class Event:
    at: float
    kind: str
    correct: bool | None = None  # answers only


@dataclass(frozen=True, slots=True)
class Feedback:
    rule: Literal["break", "idle", "streak"]
    message: str
    at: float

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "message": self.message, "at": self.at}


@dataclass(frozen=True, slots=True)
class Metrics:
    focus_score: float
    pace: float
    pace_ratio: float | None
    efficiency: float
    interruptions: int
    elapsed_minutes: float
    focused_minutes: float
    answers: int
    correct_answers: int
    notes: int
    attention: Attention

    def as_dict(self) -> dict[str, Any]:
        # Not dataclasses.asdict: it deep-copies every value, on the analyzer's hot path.
        return {name: getattr(self, name) for name in _METRICS_FIELDS}


@dataclass(slots=True)
class AnalyzerState:
    """Everything the fold needs; JSON-serializable via `as_dict` (it lives in the cache)."""

    started_at: float
    as_of: float
    focus_lost_at: float | None = None  # when the current blurred/idle spell began
    attention: Attention = "focused"
    focused_seconds: float = 0.0
    blurred_seconds: float = 0.0
    idle_seconds: float = 0.0
    answers: int = 0
    correct_answers: int = 0
    notes: int = 0
    scrolls: int = 0
    interruptions: int = 0
    streak: int = 0
    best_streak: int = 0
    events: int = 0
    last_activity_at: float | None = None
    idle_warned: bool = False
    break_suggested: bool = False
    # The stream id of the last event folded in: redelivered events (at least once) are skipped.
    last_message_id: str = ""
    feedback: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        # Not dataclasses.asdict (a deep copy, slow on the hot path); only `feedback` is mutable.
        data = {name: getattr(self, name) for name in _STATE_FIELDS}
        data["feedback"] = list(self.feedback)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AnalyzerState:
        return cls(**{name: data[name] for name in _STATE_FIELDS if name in data})

    @property
    def inactive_since(self) -> float:
        """Since when the learner has done nothing: the start of an idle or blurred spell, else
        the last activity event (the session start before any)."""
        if self.focus_lost_at is not None:
            return self.focus_lost_at
        return self.last_activity_at if self.last_activity_at is not None else self.started_at


_METRICS_FIELDS: Final = tuple(f.name for f in fields(Metrics))
_STATE_FIELDS: Final = tuple(f.name for f in fields(AnalyzerState))


# The fold


def apply_event(state: AnalyzerState, event: Event, profile: LearnerProfile) -> list[Feedback]:
    """Fold one event into `state` (in place); returns the feedback it triggers. Events older
    than the state (another server's clock, a reordering) count as happening at `as_of`."""
    at = max(event.at, state.as_of)
    _advance(state, at)
    if event.kind in ACTIVITY_EVENTS:
        state.events += 1
        _apply_activity(state, event, at)
    given = _feedback_due(state, event, profile, at)
    if given:
        state.feedback.extend(item.as_dict() for item in given)
        del state.feedback[:-FEEDBACK_KEPT]
    return given


def _advance(state: AnalyzerState, at: float) -> None:
    """Credit the time since `as_of` to the current attention. Focused time runs out
    `IDLE_WARNING_SECONDS` after the last activity: a learner who does nothing for that long is
    idle even if their page never said so (they left the room)."""
    spent = at - state.as_of
    if state.attention == "focused":
        focused_until = min(at, state.inactive_since + IDLE_WARNING_SECONDS)
        focused = min(max(focused_until - state.as_of, 0.0), spent)
        state.focused_seconds += focused
        state.idle_seconds += spent - focused
    elif state.attention == "blurred":
        state.blurred_seconds += spent
    else:
        state.idle_seconds += spent
    state.as_of = at


def _apply_activity(state: AnalyzerState, event: Event, at: float) -> None:
    kind = event.kind
    new_attention: Attention = _ATTENTION_AFTER.get(kind, "focused")
    if new_attention != state.attention:
        if state.attention == "focused":
            state.interruptions += 1
            state.focus_lost_at = at
        elif new_attention == "focused":
            state.focus_lost_at = None
        state.attention = new_attention
    if kind in ("answer", "note", "scroll", "focus"):
        state.last_activity_at = at
        state.idle_warned = False
    if kind == "answer":
        _count_answer(state, event.correct is True)
    elif kind == "note":
        state.notes += 1
    elif kind == "scroll":
        state.scrolls += 1


def _count_answer(state: AnalyzerState, correct: bool) -> None:
    state.answers += 1
    if correct:
        state.correct_answers += 1
        state.streak += 1
        state.best_streak = max(state.best_streak, state.streak)
    else:
        state.streak = 0


def _feedback_due(
    state: AnalyzerState, event: Event, profile: LearnerProfile, at: float
) -> list[Feedback]:
    given: list[Feedback] = []
    if event.kind == "answer" and event.correct and state.streak % STREAK_LENGTH == 0:
        text = _("%(count)d correct answers in a row. Great work!") % {"count": state.streak}
        given.append(Feedback("streak", text, at))
    if not state.idle_warned and at - state.inactive_since >= IDLE_WARNING_SECONDS:
        state.idle_warned = True
        text = _("You have been inactive for 5 minutes. Still there? Pick up where you left off.")
        given.append(Feedback("idle", text, at))
    elapsed_minutes = (at - state.started_at) / 60
    if not state.break_suggested and elapsed_minutes >= profile.usual_session_minutes:
        state.break_suggested = True
        minutes = round(profile.usual_session_minutes)
        text = ngettext(
            "You have studied for %(minutes)d minute, your usual session length. "
            "Time for a short break?",
            "You have studied for %(minutes)d minutes, your usual session length. "
            "Time for a short break?",
            minutes,
        ) % {"minutes": minutes}
        given.append(Feedback("break", text, at))
    return given


# Reading the state


def metrics_of(state: AnalyzerState, profile: LearnerProfile) -> Metrics:
    elapsed = state.as_of - state.started_at
    focus_score = 100.0 if elapsed <= 0 else 100.0 * state.focused_seconds / elapsed
    elapsed_minutes = elapsed / 60
    focused_minutes = state.focused_seconds / 60
    pace = (state.answers + state.notes) / elapsed_minutes if elapsed_minutes > 0 else 0.0
    baseline = profile.baseline_pace
    return Metrics(
        focus_score=round(focus_score, 1),
        pace=round(pace, 2),
        pace_ratio=round(pace / baseline, 2) if baseline else None,
        efficiency=round(state.correct_answers / focused_minutes, 2) if focused_minutes else 0.0,
        interruptions=state.interruptions,
        elapsed_minutes=round(elapsed_minutes, 2),
        focused_minutes=round(focused_minutes, 2),
        answers=state.answers,
        correct_answers=state.correct_answers,
        notes=state.notes,
        attention=state.attention,
    )


def analyze(
    events: Iterable[Event], *, started_at: float, profile: LearnerProfile
) -> tuple[Metrics, list[Feedback]]:
    """The metrics after all `events` (in order) and the feedback they triggered."""
    state = RealTimeLearningAnalyzer.start(started_at)
    feedback: list[Feedback] = []
    for event in events:
        feedback += apply_event(state, event, profile)
    return metrics_of(state, profile), feedback


def event_from_payload(payload: Mapping[str, Any]) -> Event | None:
    """The analyzer event of a stream message, or None when it is not one."""
    kind = payload.get("event")
    at = payload.get("at")
    if kind not in EVENT_KINDS or not isinstance(at, int | float):
        return None
    correct = payload.get("correct")
    return Event(
        at=float(at), kind=str(kind), correct=correct if isinstance(correct, bool) else None
    )
