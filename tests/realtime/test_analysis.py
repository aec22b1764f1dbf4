"""RealTimeLearningAnalyzer: exact numbers for scripted event sequences (pure functions)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from django.utils import translation

from realtime.analysis import (
    AnalyzerState,
    Event,
    LearnerProfile,
    RealTimeLearningAnalyzer,
    analyze,
    apply_event,
    event_from_payload,
    metrics_of,
)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages are checked in English whatever the site's default language is."""
    with translation.override("en"):
        yield


START = 1000.0
PROFILE = LearnerProfile(usual_session_minutes=14, baseline_pace=1.0)

# A 14.5-minute session: focused, a blur, an explicit idle spell, a streak of correct answers.
SCRIPT = [
    Event(START + 0, "focus"),
    Event(START + 60, "answer", correct=True),
    Event(START + 120, "answer", correct=True),
    Event(START + 180, "blur"),  # interruption 1
    Event(START + 240, "focus"),
    Event(START + 300, "answer", correct=False),
    Event(START + 360, "note"),
    Event(START + 420, "idle"),  # interruption 2
    Event(START + 720, "tick"),  # 5 idle minutes: the idle warning
    Event(START + 780, "answer", correct=True),
    Event(START + 840, "answer", correct=True),  # 14 minutes: the usual length, a break
    Event(START + 850, "answer", correct=True),
    Event(START + 860, "answer", correct=True),
    Event(START + 870, "answer", correct=True),  # 5 correct in a row: praise
]


def test_scripted_session_has_exact_metrics() -> None:
    metrics, _feedback = analyze(SCRIPT, started_at=START, profile=PROFILE)
    # focused 0-180, 240-420, 780-870 = 450 s of 870 s; blurred 60 s; idle 360 s.
    assert metrics.focus_score == 51.7  # 100 * 450 / 870 = 51.72
    assert metrics.elapsed_minutes == 14.5
    assert metrics.focused_minutes == 7.5
    assert metrics.answers == 8
    assert metrics.correct_answers == 7
    assert metrics.notes == 1
    assert metrics.pace == 0.62  # (8 answers + 1 note) / 14.5 min = 0.6207
    assert metrics.pace_ratio == 0.62  # against a baseline of 1.0 a minute
    assert metrics.efficiency == 0.93  # 7 correct / 7.5 focused minutes = 0.9333
    assert metrics.interruptions == 2
    assert metrics.attention == "focused"


def test_scripted_session_gives_feedback_in_order() -> None:
    _metrics, feedback = analyze(SCRIPT, started_at=START, profile=PROFILE)
    assert [(item.rule, item.at) for item in feedback] == [
        ("idle", START + 720),
        ("break", START + 840),
        ("streak", START + 870),
    ]
    assert "14 minutes" in feedback[1].message
    assert "5 correct answers in a row" in feedback[2].message


def test_state_time_split_is_exact() -> None:
    state = RealTimeLearningAnalyzer.start(START)
    for event in SCRIPT:
        apply_event(state, event, PROFILE)
    assert (state.focused_seconds, state.blurred_seconds, state.idle_seconds) == (450, 60, 360)
    assert state.best_streak == 5
    assert state.events == 13  # activity events; the tick only moves the clock


def test_incremental_fold_through_json_equals_whole_list() -> None:
    """The stream consumer folds batch by batch with the state stored as JSON in between."""
    state = RealTimeLearningAnalyzer.start(START)
    for chunk in (SCRIPT[:4], SCRIPT[4:9], SCRIPT[9:]):
        for event in chunk:
            apply_event(state, event, PROFILE)
        state = AnalyzerState.from_dict(json.loads(json.dumps(state.as_dict())))
    whole, feedback = analyze(SCRIPT, started_at=START, profile=PROFILE)
    assert metrics_of(state, PROFILE) == whole
    assert [item["rule"] for item in state.feedback] == [item.rule for item in feedback]


def test_focus_without_activity_turns_idle_after_five_minutes() -> None:
    """No idle event: the page never noticed the learner left; 5 quiet minutes count as idle."""
    events = [Event(60, "answer", correct=True), Event(600, "tick")]
    metrics, feedback = analyze(events, started_at=0, profile=PROFILE)
    # Focused until 60 + 300 = 360 s, idle for the 240 s after: 360 / 600.
    assert metrics.focus_score == 60.0
    assert metrics.efficiency == 0.17  # 1 correct / 6 focused minutes
    assert [(item.rule, item.at) for item in feedback] == [("idle", 600)]


def test_idle_warning_once_per_spell_and_again_after_activity() -> None:
    events = [
        Event(0, "idle"),
        Event(300, "tick"),
        Event(400, "tick"),
        Event(500, "scroll"),
        Event(800, "heartbeat"),
    ]
    _metrics, feedback = analyze(events, started_at=0, profile=PROFILE)
    assert [(item.rule, item.at) for item in feedback] == [("idle", 300), ("idle", 800)]


def test_wrong_answer_breaks_the_streak() -> None:
    # Right at 1-3, wrong at 4, right at 5-8: never 5 in a row.
    events = [Event(i, "answer", correct=i != 4) for i in range(1, 9)]
    _metrics, feedback = analyze(events, started_at=0, profile=PROFILE)
    assert feedback == []
    events.append(Event(9, "answer", correct=True))
    _metrics, feedback = analyze(events, started_at=0, profile=PROFILE)
    assert [(item.rule, item.at) for item in feedback] == [("streak", 9)]


def test_no_time_no_baseline() -> None:
    metrics, feedback = analyze([], started_at=50, profile=LearnerProfile())
    assert (metrics.focus_score, metrics.pace, metrics.efficiency) == (100.0, 0.0, 0.0)
    assert metrics.pace_ratio is None
    assert feedback == []


def test_late_event_counts_at_the_current_time() -> None:
    events = [Event(100, "blur"), Event(90, "focus"), Event(160, "tick")]
    metrics, _feedback = analyze(events, started_at=0, profile=PROFILE)
    # The focus stamped 90 arrived after the blur at 100: it counts at 100, so the blur
    # lasted no time and all 160 s are focused.
    assert metrics.focused_minutes == 2.67
    assert metrics.focus_score == 100.0
    assert metrics.interruptions == 1


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"event": "answer", "at": 5, "correct": True}, Event(5.0, "answer", True)),
        ({"event": "note", "at": 5.5}, Event(5.5, "note")),
        ({"event": "answer", "at": 5, "correct": "yes"}, Event(5.0, "answer", None)),
        ({"event": "dance", "at": 5}, None),
        ({"event": "focus"}, None),
    ],
)
def test_event_from_payload(payload: dict[str, object], expected: Event | None) -> None:
    assert event_from_payload(payload) == expected


def test_a_long_session_keeps_only_the_newest_feedback() -> None:
    state = RealTimeLearningAnalyzer.start(0)
    for second in range(1, 5 * 60 + 1):  # 300 correct answers: 60 streak praises
        apply_event(state, Event(second, "answer", correct=True), PROFILE)
    assert len(state.feedback) == 50
    assert state.feedback[-1] == {
        "rule": "streak",
        "message": "300 correct answers in a row. Great work!",
        "at": 300,
    }
