"""The shared pomodoro timer of a study room, as pure state transitions.

The server owns the timer: clients send `start` / `pause` / `reset`, the stored state changes
(`realtime.services.room_live.timer_apply`), and everyone, late joiners included, gets the state
with the remaining time computed at the moment it is sent. A running timer stores only where it
stood at an instant (`anchor`); phases (focus, then break, then focus again...) advance by
arithmetic when the state is read, so no process has to be awake when a phase ends.
"""

from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from django.utils.translation import gettext_lazy as _

from studymate_api.core.errors import validation_failed

Status = Literal["idle", "running", "paused"]
Phase = Literal["focus", "break"]

DEFAULT_FOCUS_MINUTES = 25
DEFAULT_BREAK_MINUTES = 5
FOCUS_MINUTES_RANGE = (1, 180)
BREAK_MINUTES_RANGE = (1, 60)


@dataclass(frozen=True)
class PomodoroTimer:
    status: Status = "idle"
    phase: Phase = "focus"
    focus_seconds: int = DEFAULT_FOCUS_MINUTES * 60
    break_seconds: int = DEFAULT_BREAK_MINUTES * 60
    # Left in the current phase at `anchor` when running; left now when idle or paused.
    remaining_seconds: float = DEFAULT_FOCUS_MINUTES * 60
    anchor: float | None = None  # epoch seconds, only while running
    cycle: int = 1  # the number of the current focus phase, from 1
    updated_by: int | None = None

    def phase_seconds(self, phase: Phase) -> int:
        return self.focus_seconds if phase == "focus" else self.break_seconds

    def at(self, now: float) -> PomodoroTimer:
        """The state at `now`: a running timer moves on through as many phases as elapsed."""
        if self.status != "running" or self.anchor is None:
            return self
        left = self.remaining_seconds - max(0.0, now - self.anchor)
        phase, cycle = self.phase, self.cycle
        if left <= 0:
            # Skip whole focus+break rounds at once, then at most two phase changes.
            overshoot = -left
            rounds = int(overshoot // (self.focus_seconds + self.break_seconds))
            cycle += rounds
            left += rounds * (self.focus_seconds + self.break_seconds)
            while left <= 0:
                phase, cycle = _next_phase(phase, cycle)
                left += self.phase_seconds(phase)
        return replace(self, phase=phase, cycle=cycle, remaining_seconds=left, anchor=now)

    def start(
        self,
        now: float,
        *,
        user_id: int,
        focus_minutes: int | None = None,
        break_minutes: int | None = None,
    ) -> PomodoroTimer:
        """Idle: a focus phase begins (with new lengths if given). Paused: it resumes where it
        stopped. Running: nothing changes."""
        if self.status == "running":
            return self.at(now)
        timer = self
        if self.status == "idle":
            timer = _with_lengths(self, focus_minutes, break_minutes)
            timer = replace(timer, phase="focus", remaining_seconds=float(timer.focus_seconds))
        return replace(timer, status="running", anchor=now, updated_by=user_id)

    def pause(self, now: float, *, user_id: int) -> PomodoroTimer:
        if self.status != "running":
            return self
        return replace(self.at(now), status="paused", anchor=None, updated_by=user_id)

    def reset(
        self,
        now: float,
        *,
        user_id: int,
        focus_minutes: int | None = None,
        break_minutes: int | None = None,
    ) -> PomodoroTimer:
        timer = _with_lengths(self, focus_minutes, break_minutes)
        return PomodoroTimer(
            focus_seconds=timer.focus_seconds,
            break_seconds=timer.break_seconds,
            remaining_seconds=float(timer.focus_seconds),
            updated_by=user_id,
        )

    def as_event(self, now: float) -> dict[str, Any]:
        """The `timer` event clients receive, computed at `now`."""
        state = self.at(now)
        ends_at = None
        if state.status == "running":
            ends_at = _iso(now + state.remaining_seconds)
        return {
            "type": "timer",
            "status": state.status,
            "phase": state.phase,
            "remaining_seconds": round(state.remaining_seconds, 1),
            "duration_seconds": state.phase_seconds(state.phase),
            "focus_seconds": state.focus_seconds,
            "break_seconds": state.break_seconds,
            "cycle": state.cycle,
            "ends_at": ends_at,
            "server_time": _iso(now),
            "updated_by": state.updated_by,
        }

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PomodoroTimer:
        return cls(**{name: data[name] for name in cls.__dataclass_fields__ if name in data})


def _next_phase(phase: Phase, cycle: int) -> tuple[Phase, int]:
    return ("break", cycle) if phase == "focus" else ("focus", cycle + 1)


def _with_lengths(
    timer: PomodoroTimer, focus_minutes: int | None, break_minutes: int | None
) -> PomodoroTimer:
    if focus_minutes is not None:
        _check_minutes("focus_minutes", focus_minutes, FOCUS_MINUTES_RANGE)
        timer = replace(timer, focus_seconds=focus_minutes * 60)
    if break_minutes is not None:
        _check_minutes("break_minutes", break_minutes, BREAK_MINUTES_RANGE)
        timer = replace(timer, break_seconds=break_minutes * 60)
    return timer


def _check_minutes(field: str, value: object, bounds: tuple[int, int]) -> None:
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        message = _("Use a whole number of minutes from %(low)d to %(high)d.")
        raise validation_failed(field, message % {"low": low, "high": high})


def _iso(epoch: float) -> str:
    return datetime.datetime.fromtimestamp(epoch, tz=datetime.UTC).isoformat()
