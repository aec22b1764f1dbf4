"""`/ws/learning/analytics/` with WebsocketCommunicator over the real ASGI stack, the embedded
stream and the in-process analyzer: events of one's own session become metrics and feedback on
every tab; anyone else's session, bad frames and floods are refused and the socket survives."""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async

from realtime.models import LearningSession
from realtime.selectors.sessions import learning_session_live_state
from realtime.services.sessions import learning_session_end
from tests.factories import UserFactory
from tests.realtime.learning_support import (
    activity,
    learning_socket,
    next_event,
    start_session,
)
from tests.realtime.room_support import reset_channel_layers

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_layers(settings):
    # With Redis the `stream` process runs the analyzer; these tests run it in this process.
    settings.REALTIME_ANALYZER_IN_PROCESS = True
    reset_channel_layers()
    yield
    reset_channel_layers()


def activity_frame(session_id: str, **fields: object) -> str:
    return json.dumps({"type": "activity", "session_id": session_id, **fields})


def run(scenario):
    async_to_sync(scenario)()


def live_events(session: LearningSession) -> int:
    state = learning_session_live_state(session)
    assert state is not None
    return state.analysis.events


def test_activity_comes_back_as_metrics_with_the_ref(user):
    session = start_session(user)

    async def scenario() -> None:
        socket = learning_socket(user)
        assert (await socket.connect())[0]
        first = await next_event(socket, "metrics")  # the live session's metrics on connect
        assert first["session_id"] == str(session.pk)
        assert first["ref"] is None
        await activity(socket, session, "answer", data={"correct": True}, ref=7)
        metrics = await next_event(socket, "metrics")
        assert metrics["ref"] == 7
        assert metrics["answers"] == 1
        assert metrics["correct_answers"] == 1
        assert metrics["attention"] == "focused"
        assert 0 <= metrics["focus_score"] <= 100
        assert metrics["pace"] > 0
        await socket.disconnect()

    run(scenario)
    assert live_events(session) == 1


def test_every_open_tab_gets_the_metrics_and_others_get_nothing(user):
    session = start_session(user)
    stranger = UserFactory.create()
    start_session(stranger)

    async def scenario() -> None:
        tab1, tab2, other = learning_socket(user), learning_socket(user), learning_socket(stranger)
        for socket in (tab1, tab2, other):
            assert (await socket.connect())[0]
            await next_event(socket, "metrics")  # the connect snapshot
        await activity(tab1, session, "note", ref="n1")
        assert (await next_event(tab1, "metrics"))["ref"] == "n1"
        assert (await next_event(tab2, "metrics"))["ref"] == "n1"
        assert await other.receive_nothing(timeout=0.3)
        for socket in (tab1, tab2, other):
            await socket.disconnect()

    run(scenario)


def test_someone_elses_session_is_not_found_and_nothing_is_recorded(user):
    victim = UserFactory.create()
    their_session = start_session(victim)
    start_session(user)

    async def scenario() -> None:
        socket = learning_socket(user)
        assert (await socket.connect())[0]
        await next_event(socket, "metrics")
        await activity(socket, their_session, "answer", data={"correct": True})
        error = await next_event(socket, "error")
        assert error["code"] == "not_found"
        await socket.send_json_to({"type": "heartbeat", "session_id": str(their_session.pk)})
        assert (await next_event(socket, "error"))["code"] == "not_found"
        await activity(socket, "not-a-uuid", "focus")
        assert (await next_event(socket, "error"))["code"] == "not_found"
        await asyncio.sleep(0.3)
        await socket.disconnect()

    run(scenario)
    assert live_events(their_session) == 0


def test_bad_frames_get_errors_and_the_socket_stays_open(user, settings):
    settings.REALTIME_WS_MAX_MESSAGE_BYTES = 300
    session = start_session(user)

    async def scenario() -> None:
        socket = learning_socket(user)
        assert (await socket.connect())[0]
        await next_event(socket, "metrics")
        sid = str(session.pk)
        cases = [
            ("{not json", "invalid_json"),
            ("[1, 2]", "invalid_message"),
            ('{"no": "type"}', "unknown_type"),
            ('{"type": "dance"}', "unknown_type"),
            (activity_frame(sid, event="dance"), "invalid_event"),
            (activity_frame(sid, event="note", data=3), "invalid_data"),
            ('{"type": "activity", "event": "note"}', "invalid_session"),
            (activity_frame(sid, event="note", pad="x" * 400), "message_too_big"),
        ]
        for frame, code in cases:
            await socket.send_to(text_data=frame)
            error = await next_event(socket)
            assert error["type"] == "error", frame
            assert error["code"] == code, frame
            assert error["message"]
        await socket.send_to(bytes_data=b"\xff\xfe")
        assert (await next_event(socket))["code"] == "invalid_json"
        await activity(socket, session, "focus", ref="still-open")
        assert (await next_event(socket, "metrics"))["ref"] == "still-open"
        await socket.disconnect()

    run(scenario)


def test_a_flood_gets_one_error_then_4429_and_other_clients_are_unhurt(user, settings):
    settings.REALTIME_WS_RATE_PER_SECOND = 5
    settings.REALTIME_WS_BURST = 5
    session = start_session(user)
    neighbour = UserFactory.create()
    neighbour_session = start_session(neighbour)

    async def scenario() -> None:
        flooder, calm = learning_socket(user), learning_socket(neighbour)
        for socket in (flooder, calm):
            assert (await socket.connect())[0]
            await next_event(socket, "metrics")
        for _ in range(80):
            await flooder.send_json_to({"type": "heartbeat", "session_id": str(session.pk)})
        errors = []
        while True:
            output = await flooder.receive_output(timeout=3)
            if output["type"] == "websocket.close":
                assert output["code"] == 4429
                break
            event = json.loads(output["text"])
            if event["type"] == "error":
                errors.append(event["code"])
        assert errors == ["rate_limited"]  # one error for the whole flood
        await activity(calm, neighbour_session, "scroll", ref="calm")
        assert (await next_event(calm, "metrics"))["ref"] == "calm"
        await calm.disconnect()

    run(scenario)


def test_going_idle_lowers_the_focus_score(user):
    session = start_session(user)

    async def scenario() -> None:
        socket = learning_socket(user)
        assert (await socket.connect())[0]
        await next_event(socket, "metrics")
        await activity(socket, session, "focus", ref="focus")
        focused = await next_event(socket, "metrics")
        assert focused["focus_score"] == 100.0
        await asyncio.sleep(0.3)
        await activity(socket, session, "idle", ref="idle")
        idle = await next_event(socket, "metrics")
        assert idle["attention"] == "idle"
        assert idle["interruptions"] == 1
        await asyncio.sleep(0.6)
        await socket.send_json_to({"type": "heartbeat", "session_id": str(session.pk)})
        later = await next_event(socket, "metrics")
        assert later["attention"] == "idle"
        assert later["focus_score"] < 60.0  # 0.6 s of ~1 s idle
        assert later["focus_score"] < idle["focus_score"]
        await socket.disconnect()

    run(scenario)


def test_a_reconnecting_tab_gets_the_current_metrics(user):
    session = start_session(user)

    async def scenario() -> None:
        socket = learning_socket(user)
        assert (await socket.connect())[0]
        await next_event(socket, "metrics")
        for ref in range(3):
            await activity(socket, session, "answer", data={"correct": True}, ref=ref)
            await next_event(socket, "metrics")
        await socket.disconnect()
        again = learning_socket(user)
        assert (await again.connect())[0]
        snapshot = await next_event(again, "metrics")
        assert snapshot["session_id"] == str(session.pk)
        assert snapshot["answers"] == 3
        await again.disconnect()

    run(scenario)


def test_ending_the_session_is_pushed_and_later_events_are_refused(user):
    session = start_session(user)

    async def scenario() -> None:
        socket = learning_socket(user)
        assert (await socket.connect())[0]
        await next_event(socket, "metrics")
        await database_sync_to_async(learning_session_end)(user=user, session_id=session.pk)
        ended = await next_event(socket, "session_ended")
        assert ended["session_id"] == str(session.pk)
        assert ended["reason"] == "user"
        assert set(ended["report"]) >= {"duration_minutes", "focus_score", "pace", "feedback"}
        await socket.disconnect()
        fresh = learning_socket(user)  # a new socket checks ownership afresh
        assert (await fresh.connect())[0]
        await activity(fresh, session, "note")
        assert (await next_event(fresh, "error"))["code"] == "not_found"
        await fresh.disconnect()

    run(scenario)


def test_the_streak_feedback_reaches_the_learner(user):
    session = start_session(user)

    async def scenario() -> None:
        socket = learning_socket(user)
        assert (await socket.connect())[0]
        await next_event(socket, "metrics")
        for _ in range(5):
            await activity(socket, session, "answer", data={"correct": True})
        feedback = await next_event(socket, "feedback")
        assert feedback["rule"] == "streak"
        assert feedback["session_id"] == str(session.pk)
        assert "5" in feedback["message"]
        await socket.disconnect()

    run(scenario)
