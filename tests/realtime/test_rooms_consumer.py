"""`/ws/study/room/{id}/` through Channels' WebsocketCommunicator and the real ASGI stack
(origin check, JWT middleware, router): membership, chat, the shared timer, status, presence.

Transactional: broadcasts wait for the commit, and sockets read the rows from their own thread.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from realtime.models import RoomMessage
from realtime.services import room_live
from realtime.services.room_live import MemberStatus
from realtime.services.rooms import room_delete, room_leave
from tests.factories import UserFactory
from tests.realtime.room_support import add_member, make_room, reset_channel_layers, room_socket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_layers(settings):
    reset_channel_layers()
    settings.REALTIME_PRESENCE_GRACE_SECONDS = 1
    yield
    reset_channel_layers()


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    async_to_sync(scenario)()


async def next_event(
    socket: WebsocketCommunicator, kind: str | None = None, timeout: float = 3.0
) -> dict[str, Any]:
    """The next event (of `kind`, skipping others) the server sent to `socket`."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        left = max(0.01, deadline - asyncio.get_running_loop().time())
        output = await socket.receive_output(timeout=left)
        assert output["type"] == "websocket.send", output
        event = json.loads(output["text"])
        if kind is None or event["type"] == kind:
            return dict(event)


async def presence(
    socket: WebsocketCommunicator, kind: str, user_id: int, timeout: float = 3.0
) -> dict[str, Any]:
    """Reads `kind` ("join"/"leave") events until one names `user_id`; that user's entry.
    Announcements are batched, so one event may carry several users."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        left = max(0.01, deadline - asyncio.get_running_loop().time())
        event = await next_event(socket, kind, timeout=left)
        for entry in event["users"]:
            if entry["id"] == user_id:
                return dict(entry)


async def close_code(socket: WebsocketCommunicator, timeout: float = 3.0) -> int:
    """Reads until the server closes the socket; its close code."""
    while True:
        output = await socket.receive_output(timeout=timeout)
        if output["type"] == "websocket.close":
            return int(output["code"])


async def connected(socket: WebsocketCommunicator) -> dict[str, Any]:
    accepted, _protocol = await socket.connect()
    assert accepted
    return await next_event(socket, "snapshot")


@pytest.fixture
def room(user, other_user):
    """A room of `user` that `other_user` has joined."""
    room = make_room(user)
    add_member(room, other_user)
    return room


# --- who may connect ---------------------------------------------------------------------------


def test_without_a_token_the_socket_closes_4401(user):
    room = make_room(user)

    async def scenario() -> None:
        socket = room_socket(None, room)
        assert (await socket.connect())[0]
        assert await close_code(socket) == 4401

    run(scenario)


@pytest.mark.parametrize(
    ("is_public", "code"), [(True, 4403), (False, 4404)], ids=["public", "private"]
)
def test_non_members_are_refused(user, other_user, is_public, code):
    room = make_room(other_user, is_public=is_public)

    async def scenario() -> None:
        socket = room_socket(user, room)
        await socket.connect()
        assert await close_code(socket) == code

    run(scenario)


def test_a_room_that_does_not_exist_closes_4404(user):
    async def scenario() -> None:
        socket = room_socket(user, 987654)
        await socket.connect()
        assert await close_code(socket) == 4404

    run(scenario)


# --- presence -----------------------------------------------------------------------------------


def test_members_see_each_other_join(user, other_user):
    room = make_room(user, name="Biology")
    add_member(room, other_user)

    async def scenario() -> None:
        first = room_socket(user, room)
        snapshot = await connected(first)
        assert snapshot["room"] == {"id": room.pk, "name": "Biology"}
        assert [member["id"] for member in snapshot["members"]] == [user.pk]
        assert snapshot["timer"]["status"] == "idle"
        await presence(first, "join", user.pk)

        second = room_socket(other_user, room)
        snapshot = await connected(second)
        assert {member["id"] for member in snapshot["members"]} == {user.pk, other_user.pk}
        joined = await presence(first, "join", other_user.pk)
        assert joined == {
            "id": other_user.pk,
            "username": other_user.username,
            "typing": False,
            "focus": "focused",
        }
        await first.disconnect()
        await second.disconnect()

    run(scenario)


def test_a_second_tab_does_not_flap_presence(user, other_user, room):

    async def scenario() -> None:
        watcher = room_socket(other_user, room)
        await connected(watcher)
        await presence(watcher, "join", other_user.pk)
        tab1, tab2 = room_socket(user, room), room_socket(user, room)
        await connected(tab1)
        await presence(watcher, "join", user.pk)
        await connected(tab2)
        await tab1.disconnect()
        assert await watcher.receive_nothing(timeout=2.0)  # grace is 1 s: no join, no leave
        await tab2.disconnect()
        await presence(watcher, "leave", user.pk, timeout=3.0)
        await watcher.disconnect()

    run(scenario)


def test_a_reconnect_within_the_grace_period_is_silent(user, other_user, room):

    async def scenario() -> None:
        watcher = room_socket(other_user, room)
        await connected(watcher)
        await presence(watcher, "join", other_user.pk)
        socket = room_socket(user, room)
        await connected(socket)
        await presence(watcher, "join", user.pk)
        await socket.disconnect()
        again = room_socket(user, room)
        snapshot = await connected(again)
        assert user.pk in {member["id"] for member in snapshot["members"]}
        assert await watcher.receive_nothing(timeout=2.0)
        await again.disconnect()
        await presence(watcher, "leave", user.pk)
        await watcher.disconnect()

    run(scenario)


def test_a_vanished_client_expires_after_the_ttl(user, other_user, settings, room):
    """A socket whose process died is never dropped: it stops being touched and expires; the
    heartbeat of any live socket in the room sweeps it and announces the leave."""
    settings.REALTIME_PRESENCE_TTL_SECONDS = 3  # heartbeat every second
    ghost = MemberStatus(user_id=other_user.pk, username=other_user.username)
    room_live.presence_connect(room_id=room.pk, member=ghost, channel="dead-process!abc")

    async def scenario() -> None:
        socket = room_socket(user, room)
        snapshot = await connected(socket)
        assert {member["id"] for member in snapshot["members"]} == {user.pk, other_user.pk}
        await presence(socket, "leave", other_user.pk, timeout=6.0)
        members = await database_sync_to_async(room_live.presence_members)(room_id=room.pk)
        assert [member.user_id for member in members] == [user.pk]
        await socket.disconnect()

    run(scenario)


def test_typing_and_focus_status_reach_the_room(user, other_user, room):

    async def scenario() -> None:
        first, second = room_socket(user, room), room_socket(other_user, room)
        await connected(first)
        await connected(second)
        await first.send_json_to({"type": "status", "typing": True, "focus": "away"})
        status = await next_event(second, "status")
        assert status["user"]["id"] == user.pk
        assert (status["user"]["typing"], status["user"]["focus"]) == (True, "away")
        await first.send_json_to({"type": "status", "focus": "sleeping"})
        assert (await next_event(first, "error"))["code"] == "invalid_message"
        # Chatting ends typing for everyone.
        await first.send_json_to({"type": "chat", "message": "done"})
        status = await next_event(second, "status")
        assert (status["user"]["typing"], status["user"]["focus"]) == (False, "away")
        await first.disconnect()
        await second.disconnect()

    run(scenario)


# --- chat ---------------------------------------------------------------------------------------


def test_chat_is_stored_and_broadcast(user, other_user, room):

    async def scenario() -> None:
        first, second = room_socket(user, room), room_socket(other_user, room)
        await connected(first)
        await connected(second)
        await first.send_json_to({"type": "chat", "message": "  Who has chapter 3?  "})
        for socket in (first, second):
            chat = await next_event(socket, "chat")
            assert chat["message"] == "Who has chapter 3?"
            assert chat["user"] == {"id": user.pk, "username": user.username}
        await first.disconnect()
        await second.disconnect()

    run(scenario)
    stored = RoomMessage.objects.get(room=room)
    assert (stored.author_id, stored.body) == (user.pk, "Who has chapter 3?")


def test_bad_chat_gets_an_error_and_the_socket_stays_open(user):
    room = make_room(user)

    async def scenario() -> None:
        socket = room_socket(user, room)
        await connected(socket)
        await socket.send_json_to({"type": "chat", "message": "x" * 1001})
        assert (await next_event(socket, "error"))["code"] == "validation_error"
        await socket.send_json_to({"type": "chat"})
        assert (await next_event(socket, "error"))["code"] == "invalid_message"
        await socket.send_json_to({"type": "dance"})
        assert (await next_event(socket, "error"))["code"] == "unknown_type"
        await socket.send_json_to({"type": "chat", "message": "still here"})
        assert (await next_event(socket, "chat"))["message"] == "still here"
        await socket.disconnect()

    run(scenario)
    assert list(RoomMessage.objects.values_list("body", flat=True)) == ["still here"]


def test_chat_floods_are_limited(user, settings):
    settings.REALTIME_ROOM_CHAT_RATE = "2/min"
    room = make_room(user)

    async def scenario() -> None:
        socket = room_socket(user, room)
        await connected(socket)
        for index in range(3):
            await socket.send_json_to({"type": "chat", "message": f"spam {index}"})
        assert (await next_event(socket, "error"))["code"] == "rate_limited"
        await socket.disconnect()

    run(scenario)
    assert RoomMessage.objects.filter(room=room).count() == 2


# --- the shared timer ---------------------------------------------------------------------------


def test_the_timer_is_shared_and_late_joiners_see_the_time_left(user, other_user, room):
    late = UserFactory.create()
    add_member(room, late)

    async def scenario() -> None:
        first, second = room_socket(user, room), room_socket(other_user, room)
        await connected(first)
        await connected(second)
        await first.send_json_to({"type": "timer", "action": "start", "focus_minutes": 10})
        for socket in (first, second):
            timer = await next_event(socket, "timer")
            assert (timer["status"], timer["phase"], timer["duration_seconds"]) == (
                "running",
                "focus",
                600,
            )
            assert timer["updated_by"] == user.pk
        await asyncio.sleep(1.2)
        latecomer = room_socket(late, room)
        snapshot = await connected(latecomer)
        assert snapshot["timer"]["status"] == "running"
        assert 590 < snapshot["timer"]["remaining_seconds"] <= 598.8

        await second.send_json_to({"type": "timer", "action": "pause"})
        paused = await next_event(latecomer, "timer")
        assert paused["status"] == "paused"
        assert paused["updated_by"] == other_user.pk
        assert (await next_event(first, "timer"))["status"] == "paused"
        await second.send_json_to({"type": "timer", "action": "reset"})
        reset = await next_event(first, "timer")
        assert (reset["status"], reset["remaining_seconds"]) == ("idle", 600)
        await second.send_json_to({"type": "timer", "action": "explode"})
        assert (await next_event(second, "error"))["code"] == "invalid_timer_action"
        await second.send_json_to({"type": "timer", "action": "start", "focus_minutes": 999})
        assert (await next_event(second, "error"))["code"] == "validation_error"
        for socket in (first, second, latecomer):
            await socket.disconnect()

    run(scenario)


# --- membership changes while connected --------------------------------------------------------


def test_leaving_over_rest_closes_the_members_sockets(user, other_user, room):

    async def scenario() -> None:
        owner, member = room_socket(user, room), room_socket(other_user, room)
        await connected(owner)
        await connected(member)
        await database_sync_to_async(room_leave)(user=other_user, room_id=room.pk)
        removed = await next_event(owner, "member_removed")
        assert removed["user"]["id"] == other_user.pk
        assert await close_code(member) == 4403
        await member.disconnect()  # the client's side of the close, as daphne reports it
        await presence(owner, "leave", other_user.pk)
        await owner.disconnect()

    run(scenario)


def test_deleting_the_room_closes_every_socket(user, other_user, room):

    async def scenario() -> None:
        owner, member = room_socket(user, room), room_socket(other_user, room)
        await connected(owner)
        await connected(member)
        await database_sync_to_async(room_delete)(user=user, room_id=room.pk)
        assert await close_code(owner) == 4404
        assert await close_code(member) == 4404

    run(scenario)


def test_presence_announcements_are_batched_and_cancel_out():
    """Joins within one batch window arrive as one event; a join and a leave of the same member
    within the window send nothing about them."""
    from channels.layers import get_channel_layer

    from realtime.consumers.rooms import PresenceAnnouncer
    from realtime.services.rooms import room_group

    async def scenario() -> None:
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(room_group(41), channel)
        announcer = PresenceAnnouncer()
        ann, bo, cy = (
            MemberStatus(user_id=n, username=name) for n, name in ((1, "ann"), (2, "bo"), (3, "cy"))
        )
        announcer.announce(layer, 41, "join", ann)
        announcer.announce(layer, 41, "join", bo)
        announcer.announce(layer, 41, "join", cy)
        announcer.announce(layer, 41, "leave", cy)
        message = await asyncio.wait_for(layer.receive(channel), 2)
        assert message["event"]["type"] == "join"
        assert [user["id"] for user in message["event"]["users"]] == [1, 2]
        await asyncio.sleep(0.3)
        announcer.announce(layer, 41, "leave", bo)
        message = await asyncio.wait_for(layer.receive(channel), 2)
        assert message["event"] == {"type": "leave", "users": [bo.as_dict()]}

    run(scenario)
