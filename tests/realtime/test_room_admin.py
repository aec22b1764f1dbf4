"""Staff manage study rooms in the admin: lists, search by invite code, the rotate action, and
deletions that close the sockets concerned (as the services do)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer

from accounts.models import User
from realtime.models import RoomMembership, RoomMessage, StudyRoom
from realtime.services.rooms import room_group, room_message_post
from tests.realtime.room_support import add_member, make_room

pytestmark = pytest.mark.django_db

ADMIN = "/admin/realtime/"


@pytest.fixture
def room(user: User, other_user: User) -> StudyRoom:
    room = make_room(user, name="Organic chemistry", is_public=False)
    add_member(room, other_user)
    room_message_post(user=other_user, room_id=room.pk, body="Shall we start at nine?")
    return room


@pytest.mark.parametrize(
    "page",
    [
        "studyroom/",
        "studyroom/?q=chemistry",
        "roommembership/",
        "roommembership/?q=chemistry",
        "roommessage/",
        "roommessage/?q=nine",
    ],
)
def test_the_lists_open(admin_client: Any, room: StudyRoom, page: str) -> None:
    response = admin_client.get(f"{ADMIN}{page}")
    assert response.status_code == 200
    assert "Organic chemistry" in response.content.decode()


def test_the_change_pages_open(admin_client: Any, room: StudyRoom) -> None:
    message = RoomMessage.objects.get(room=room)
    membership = RoomMembership.objects.filter(room=room).first()
    assert membership is not None
    for url in (
        f"{ADMIN}studyroom/{room.pk}/change/",
        f"{ADMIN}roommembership/{membership.pk}/change/",
        f"{ADMIN}roommessage/{message.pk}/change/",
    ):
        assert admin_client.get(url).status_code == 200, url
    # Chat is never written by staff.
    assert admin_client.get(f"{ADMIN}roommessage/add/").status_code == 403


def test_a_room_is_found_by_its_invite_code(admin_client: Any, room: StudyRoom) -> None:
    other = make_room(room.owner, name="Unrelated room")
    page = admin_client.get(f"{ADMIN}studyroom/", {"q": room.invite_code}).content.decode()
    assert "Organic chemistry" in page
    assert other.name not in page


def test_the_rotate_action_gives_each_room_a_new_code(admin_client: Any, room: StudyRoom) -> None:
    second = make_room(room.owner, name="Second")
    before = {room.pk: room.invite_code, second.pk: second.invite_code}
    response = admin_client.post(
        f"{ADMIN}studyroom/",
        {"action": "rotate_invite_codes", "_selected_action": [room.pk, second.pk]},
    )
    assert response.status_code == 302
    after = dict(StudyRoom.objects.values_list("pk", "invite_code"))
    assert all(after[pk] != code for pk, code in before.items())
    assert after[room.pk] != after[second.pk]
    assert RoomMembership.objects.filter(room=room).count() == 2  # members stay


def test_deleting_a_room_in_the_admin_closes_its_sockets(
    admin_client: Any, room: StudyRoom, django_capture_on_commit_callbacks: Any
) -> None:
    layer = get_channel_layer()
    assert layer is not None
    room_id = room.pk

    def delete() -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return admin_client.post(f"{ADMIN}studyroom/{room_id}/delete/", {"post": "yes"})

    async def listen() -> tuple[Any, dict[str, Any]]:
        channel = await layer.new_channel()
        await layer.group_add(room_group(room_id), channel)
        try:
            response = await sync_to_async(delete)()
            message = await asyncio.wait_for(layer.receive(channel), timeout=5)
        finally:
            await layer.group_discard(room_group(room_id), channel)
        return response, message

    response, message = async_to_sync(listen)()
    assert response.status_code == 302
    assert not StudyRoom.objects.filter(pk=room_id).exists()
    assert message["event"] == {"type": "room_closed", "room_id": room_id}
