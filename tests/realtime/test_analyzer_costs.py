"""What the analyzer pays per batch of activity: no database query for a live session (its meta
and state come from the cache, read together), and the stored state carries the batch over to
the next one."""

from __future__ import annotations

import time

import pytest

from realtime.broadcast import learner_group
from realtime.live_analysis import analyze_batch
from realtime.selectors.sessions import learning_session_live_state
from studymate_api.streaming import PartitionLost, StreamMessage
from tests.realtime.learning_support import start_session

pytestmark = pytest.mark.django_db


def activity_message(session_id: str, user_id: int, number: int, **fields: object) -> StreamMessage:
    payload = {
        "session_id": session_id,
        "user_id": user_id,
        "event": "answer",
        "correct": True,
        "at": time.time(),
        "ref": number,
        **fields,
    }
    return StreamMessage(f"{int(time.time() * 1000)}-{number}", payload, 1)


def test_a_batch_of_a_live_session_costs_no_database_query(user, django_assert_num_queries):
    session = start_session(user)
    session_id = str(session.pk)
    with django_assert_num_queries(0):
        first = analyze_batch([activity_message(session_id, user.pk, 1)])
        second = analyze_batch([activity_message(session_id, user.pk, 2)])
    assert [group for group, _event in first] == [learner_group(user.pk)]
    metrics = second[0][1]
    assert metrics["type"] == "metrics"
    assert metrics["ref"] == 2
    assert metrics["answers"] == 2  # the first batch's fold was stored and read back
    state = learning_session_live_state(session)
    assert state is not None
    assert state.analysis.events == 2


def test_a_batch_of_several_sessions_stores_each_state(user):
    sessions = [start_session(user) for _ in range(2)]
    batch = [
        activity_message(str(session.pk), user.pk, number)
        for number, session in enumerate(sessions, start=1)
    ]
    deliveries = analyze_batch(batch)
    assert sorted(event["session_id"] for _group, event in deliveries) == sorted(
        str(session.pk) for session in sessions
    )
    for session in sessions:
        state = learning_session_live_state(session)
        assert state is not None
        assert state.analysis.events == 1


def test_a_process_that_lost_the_partition_stores_nothing(user):
    """The fence: once the partition's lease is not certainly this process's, the fold it made
    is dropped, so a late writer cannot overwrite what the new owner stored."""
    session = start_session(user)
    session_id = str(session.pk)
    analyze_batch([activity_message(session_id, user.pk, 1)], fence=lambda: True)

    with pytest.raises(PartitionLost):
        analyze_batch([activity_message(session_id, user.pk, 2)], fence=lambda: False)

    state = learning_session_live_state(session)
    assert state is not None
    assert (state.analysis.events, state.analysis.answers) == (1, 1)
