"""The analyzer's clock: ticks for sessions that went quiet, none for busy or ended ones."""

from __future__ import annotations

from realtime.live_analysis import LiveClock


def test_only_sessions_quiet_for_an_interval_get_a_tick():
    clock = LiveClock(10, forget_after=100)
    clock.saw("quiet", 1, at=1000.0)
    clock.saw("busy", 2, at=1000.0)
    assert clock.due(1005.0) == []
    clock.saw("busy", 2, at=1008.0)  # the busy one keeps sending
    assert clock.due(1010.5) == [
        {"session_id": "quiet", "user_id": 1, "event": "tick", "at": 1010.5}
    ]
    assert [tick["session_id"] for tick in clock.due(1018.0)] == ["quiet", "busy"]


def test_forgotten_and_long_gone_sessions_get_no_ticks():
    clock = LiveClock(1, forget_after=5)
    now = 1000.0
    clock.saw("ended", 1, at=now)
    clock.saw("gone", 2, at=now)
    clock.forget("ended")
    assert [tick["session_id"] for tick in clock.due(now + 2)] == ["gone"]
    assert clock.due(now + 6) == []  # past forget_after: dropped for good
    assert clock.due(now + 2) == []


def test_a_session_whose_partition_moved_away_gets_no_more_ticks():
    held = {1}
    clock = LiveClock(1, forget_after=100, owns=lambda user_id: user_id in held)
    clock.saw("stays", 1, at=1000.0)
    clock.saw("moves", 2, at=1000.0)
    assert [tick["session_id"] for tick in clock.due(1002.0)] == ["stays"]
    held.add(2)  # got back later: forgotten until the learner sends again
    assert [tick["session_id"] for tick in clock.due(1003.0)] == ["stays"]
