"""The shared pomodoro timer's transitions, with exact numbers (pure, no clock)."""

from __future__ import annotations

import pytest

from realtime.services.room_timer import PomodoroTimer
from studymate_api.core.errors import ValidationFailed

T0 = 1_800_000_000.0  # any epoch second


def test_a_new_timer_is_idle_at_the_full_focus_length():
    event = PomodoroTimer().as_event(T0)
    assert event["status"] == "idle"
    assert event["phase"] == "focus"
    assert event["remaining_seconds"] == 1500
    assert event["ends_at"] is None


def test_start_runs_down_and_reports_when_it_ends():
    timer = PomodoroTimer().start(T0, user_id=7, focus_minutes=10, break_minutes=2)
    event = timer.as_event(T0 + 90)
    assert event["status"] == "running"
    assert event["remaining_seconds"] == 510
    assert event["duration_seconds"] == 600
    assert event["ends_at"] == "2027-01-15T08:10:00+00:00"
    assert event["updated_by"] == 7


def test_phases_advance_while_nobody_looks():
    timer = PomodoroTimer().start(T0, user_id=1, focus_minutes=10, break_minutes=2)
    in_break = timer.at(T0 + 600 + 30)
    assert (in_break.phase, in_break.cycle, in_break.remaining_seconds) == ("break", 1, 90)
    next_focus = timer.at(T0 + 720 + 1)
    assert (next_focus.phase, next_focus.cycle, next_focus.remaining_seconds) == ("focus", 2, 599)
    # Three whole rounds later and 100 s into the break of the fourth.
    later = timer.at(T0 + 3 * 720 + 600 + 100)
    assert (later.phase, later.cycle, later.remaining_seconds) == ("break", 4, 20)


def test_pause_keeps_the_remaining_time_and_start_resumes_it():
    timer = PomodoroTimer().start(T0, user_id=1, focus_minutes=10)
    paused = timer.pause(T0 + 100, user_id=2)
    assert paused.status == "paused"
    assert paused.as_event(T0 + 5000)["remaining_seconds"] == 500  # a pause stops the clock
    resumed = paused.start(T0 + 5000, user_id=3, focus_minutes=60)  # lengths only when idle
    assert resumed.as_event(T0 + 5010)["remaining_seconds"] == 490
    assert resumed.focus_seconds == 600


def test_starting_a_running_timer_changes_nothing():
    timer = PomodoroTimer().start(T0, user_id=1)
    again = timer.start(T0 + 60, user_id=2)
    assert again.as_event(T0 + 60)["remaining_seconds"] == 1440
    assert again.updated_by == 1


def test_reset_goes_back_to_idle_keeping_or_changing_lengths():
    timer = PomodoroTimer().start(T0, user_id=1, focus_minutes=10).at(T0 + 700)
    reset = timer.reset(T0 + 700, user_id=4)
    assert (reset.status, reset.phase, reset.cycle) == ("idle", "focus", 1)
    assert reset.remaining_seconds == 600
    changed = timer.reset(T0, user_id=4, focus_minutes=50, break_minutes=10)
    assert (changed.focus_seconds, changed.break_seconds, changed.remaining_seconds) == (
        3000,
        600,
        3000,
    )


def test_state_survives_a_round_trip_through_json():
    timer = PomodoroTimer().start(T0, user_id=1).pause(T0 + 12.5, user_id=1)
    assert PomodoroTimer.from_json(timer.to_json()) == timer


@pytest.mark.parametrize("minutes", [0, 181, -5, 2.5, True, "10"])
def test_focus_lengths_out_of_range_are_refused(minutes):
    with pytest.raises(ValidationFailed):
        PomodoroTimer().start(T0, user_id=1, focus_minutes=minutes)


def test_break_lengths_out_of_range_are_refused():
    with pytest.raises(ValidationFailed):
        PomodoroTimer().reset(T0, user_id=1, break_minutes=61)
