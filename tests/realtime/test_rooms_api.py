"""Study rooms over REST: create, list, retrieve, join (public, private with code), leave,
rotate the invite code, delete, chat history; and the chat service's limits."""

from __future__ import annotations

import pytest
from django.utils import timezone

from realtime.models import RoomMembership, RoomMessage
from realtime.services.rooms import ChatRateLimited, room_message_post
from studymate_api.core.errors import ValidationFailed
from tests.factories import UserFactory
from tests.realtime.room_support import add_member, client_for, make_room

pytestmark = pytest.mark.django_db

ROOMS = "/api/study/realtime/rooms/"


def _error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code, response.json()


# --- create ------------------------------------------------------------------------------------


def test_create_makes_the_owner_the_first_member(auth_client, user):
    response = auth_client.post(ROOMS, {"name": "Algebra", "is_public": False, "capacity": 5})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "Algebra"
    assert body["is_public"] is False
    assert body["capacity"] == 5
    assert body["member_count"] == 1
    assert body["is_member"] is True
    assert body["is_owner"] is True
    assert body["owner"] == {"id": user.pk, "username": user.username}
    assert len(body["invite_code"]) == 16
    assert body["websocket_url"] == f"/ws/study/room/{body['id']}/"
    assert RoomMembership.objects.filter(room_id=body["id"], user=user).exists()


def test_create_with_a_subject_the_user_can_see(auth_client, user):
    from study.services import subject_create

    subject = subject_create(created_by=user, name="Physics")
    response = auth_client.post(ROOMS, {"name": "Mechanics", "subject_id": subject.pk})
    assert response.status_code == 201, response.content
    assert response.json()["subject"] == {"id": subject.pk, "name": "Physics"}


def test_create_with_another_learners_private_subject_is_404(auth_client, other_user):
    from study.services import subject_create

    hidden = subject_create(created_by=other_user, name="Secret", is_public=False)
    _error(auth_client.post(ROOMS, {"name": "x", "subject_id": hidden.pk}), 404, "not_found")


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"name": ""},
        {"name": "x", "capacity": 1},
        {"name": "x", "capacity": 201},
        {"name": "x" * 101},
        {"name": "x", "owner": 3},
    ],
)
def test_create_refuses_bad_input(auth_client, payload):
    _error(auth_client.post(ROOMS, payload, format="json"), 400, "validation_error")


# --- list and retrieve -------------------------------------------------------------------------


def test_list_shows_public_rooms_and_mine_but_not_others_private(auth_client, user, other_user):
    public = make_room(other_user, name="Open")
    hidden = make_room(other_user, name="Hidden", is_public=False)
    joined = make_room(other_user, name="Joined", is_public=False)
    add_member(joined, user)
    own = make_room(user, name="Own", is_public=False)

    results = auth_client.get(ROOMS).json()["results"]
    names = [row["name"] for row in results]
    assert names == ["Own", "Joined", "Open"]
    assert hidden.pk not in {row["id"] for row in results}
    by_name = {row["name"]: row for row in results}
    assert by_name["Open"]["invite_code"] is None  # not a member: the code stays secret
    assert by_name["Open"]["is_member"] is False
    assert by_name["Joined"]["invite_code"] == joined.invite_code
    assert by_name["Joined"]["member_count"] == 2
    assert by_name["Own"]["is_owner"] is True

    mine = auth_client.get(ROOMS, {"mine": "true"}).json()["results"]
    assert [row["id"] for row in mine] == [own.pk, joined.pk]
    assert public.pk not in {row["id"] for row in mine}


def test_list_is_paginated(auth_client, other_user):
    for index in range(3):
        make_room(other_user, name=f"Room {index}")
    body = auth_client.get(ROOMS, {"page_size": 2}).json()
    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"] is not None


def test_list_query_count_does_not_grow_with_rooms(
    auth_client, other_user, django_assert_max_num_queries
):
    for index in range(2):
        make_room(other_user, name=f"Few {index}")
    with django_assert_max_num_queries(4) as few:
        assert auth_client.get(ROOMS).status_code == 200
    for index in range(12):
        room = make_room(other_user, name=f"Many {index}")
        add_member(room, UserFactory.create())
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(auth_client.get(ROOMS).json()["results"]) == 14


def test_list_refuses_a_bad_filter(auth_client):
    _error(auth_client.get(ROOMS, {"mine": "perhaps"}), 400, "validation_error")


def test_retrieve_a_public_room_and_not_a_private_one(auth_client, other_user):
    public = make_room(other_user)
    hidden = make_room(other_user, is_public=False)
    response = auth_client.get(f"{ROOMS}{public.pk}/")
    assert response.status_code == 200
    assert response.json()["invite_code"] is None
    _error(auth_client.get(f"{ROOMS}{hidden.pk}/"), 404, "not_found")
    _error(auth_client.get(f"{ROOMS}999999/"), 404, "not_found")


def test_anonymous_requests_are_refused(api_client, other_user):
    room = make_room(other_user)
    assert api_client.get(ROOMS).status_code == 401
    assert api_client.post(f"{ROOMS}{room.pk}/join/").status_code == 401


# --- join and leave ---------------------------------------------------------------------------


def test_join_a_public_room_is_idempotent(auth_client, other_user):
    room = make_room(other_user)
    first = auth_client.post(f"{ROOMS}{room.pk}/join/")
    assert first.status_code == 200, first.content
    assert first.json()["is_member"] is True
    assert first.json()["invite_code"] == room.invite_code
    again = auth_client.post(f"{ROOMS}{room.pk}/join/")
    assert again.json()["member_count"] == 2


def test_join_a_private_room_needs_its_code_and_hides_it_otherwise(auth_client, other_user):
    room = make_room(other_user, is_public=False)
    url = f"{ROOMS}{room.pk}/join/"
    _error(auth_client.post(url), 404, "not_found")
    _error(auth_client.post(url, {"invite_code": "not-the-code"}), 404, "not_found")
    assert RoomMembership.objects.filter(room=room).count() == 1
    response = auth_client.post(url, {"invite_code": room.invite_code})
    assert response.status_code == 200, response.content
    assert response.json()["is_member"] is True


def test_join_by_code_alone(auth_client, other_user):
    room = make_room(other_user, is_public=False)
    response = auth_client.post(f"{ROOMS}join/", {"invite_code": room.invite_code})
    assert response.status_code == 200, response.content
    assert response.json()["id"] == room.pk
    _error(auth_client.post(f"{ROOMS}join/", {"invite_code": "x" * 16}), 404, "not_found")
    _error(auth_client.post(f"{ROOMS}join/", {}), 400, "validation_error")


def test_a_full_room_refuses_another_member(auth_client, other_user):
    room = make_room(other_user, capacity=2)
    add_member(room, UserFactory.create())
    _error(auth_client.post(f"{ROOMS}{room.pk}/join/"), 409, "room_full")
    assert RoomMembership.objects.filter(room=room).count() == 2


def test_leave_ends_the_membership(auth_client, user, other_user):
    room = make_room(other_user)
    add_member(room, user)
    assert auth_client.post(f"{ROOMS}{room.pk}/leave/").status_code == 204
    assert not RoomMembership.objects.filter(room=room, user=user).exists()
    _error(auth_client.post(f"{ROOMS}{room.pk}/leave/"), 403, "not_a_member")


def test_leaving_a_private_room_one_is_not_in_is_404(auth_client, other_user):
    room = make_room(other_user, is_public=False)
    _error(auth_client.post(f"{ROOMS}{room.pk}/leave/"), 404, "not_found")


def test_the_owner_cannot_leave(auth_client, user):
    room = make_room(user)
    _error(auth_client.post(f"{ROOMS}{room.pk}/leave/"), 409, "owner_cannot_leave")


# --- owner actions -----------------------------------------------------------------------------


def test_rotating_the_code_retires_the_old_one(auth_client, user, other_user):
    room = make_room(user, is_public=False)
    old = room.invite_code
    response = auth_client.post(f"{ROOMS}{room.pk}/rotate_invite_code/")
    assert response.status_code == 200, response.content
    new = response.json()["invite_code"]
    assert new != old
    assert len(new) == 16
    outsider = client_for(other_user)
    _error(outsider.post(f"{ROOMS}{room.pk}/join/", {"invite_code": old}), 404, "not_found")
    assert outsider.post(f"{ROOMS}{room.pk}/join/", {"invite_code": new}).status_code == 200


def test_only_the_owner_rotates_or_deletes(auth_client, user, other_user):
    room = make_room(other_user)
    add_member(room, user)
    _error(auth_client.post(f"{ROOMS}{room.pk}/rotate_invite_code/"), 403, "permission_denied")
    _error(auth_client.delete(f"{ROOMS}{room.pk}/"), 403, "permission_denied")
    hidden = make_room(other_user, is_public=False)
    _error(auth_client.delete(f"{ROOMS}{hidden.pk}/"), 404, "not_found")


def test_the_owner_deletes_the_room(auth_client, user):
    room = make_room(user)
    assert auth_client.delete(f"{ROOMS}{room.pk}/").status_code == 204
    _error(auth_client.get(f"{ROOMS}{room.pk}/"), 404, "not_found")


# --- chat history and limits -------------------------------------------------------------------


def test_messages_are_the_last_100_oldest_first(auth_client, user):
    room = make_room(user)
    start = timezone.now()
    RoomMessage.objects.bulk_create(
        RoomMessage(room=room, author=user, body=f"m{index}") for index in range(105)
    )
    RoomMessage.objects.filter(room=room).update(created_at=start)  # ties break by id
    response = auth_client.get(f"{ROOMS}{room.pk}/messages/")
    assert response.status_code == 200, response.content
    rows = response.json()
    assert [row["message"] for row in rows] == [f"m{index}" for index in range(5, 105)]
    assert rows[0]["user"] == {"id": user.pk, "username": user.username}
    assert set(rows[0]) == {"id", "user", "message", "created_at"}


def test_messages_are_for_members_only(auth_client, other_user):
    public = make_room(other_user)
    hidden = make_room(other_user, is_public=False)
    _error(auth_client.get(f"{ROOMS}{public.pk}/messages/"), 403, "not_a_member")
    _error(auth_client.get(f"{ROOMS}{hidden.pk}/messages/"), 404, "not_found")


def test_chat_refuses_empty_and_too_long_messages(user):
    room = make_room(user)
    with pytest.raises(ValidationFailed):
        room_message_post(user=user, room_id=room.pk, body="   ")
    with pytest.raises(ValidationFailed):
        room_message_post(user=user, room_id=room.pk, body="x" * 1001)
    kept = room_message_post(user=user, room_id=room.pk, body="  " + "x" * 1000 + " ")
    assert kept.body == "x" * 1000
    assert RoomMessage.objects.filter(room=room).count() == 1


def test_chat_rate_is_limited_per_learner_and_room(user, other_user, settings):
    settings.REALTIME_ROOM_CHAT_RATE = "3/min"
    room = make_room(user)
    add_member(room, other_user)
    for index in range(3):
        room_message_post(user=user, room_id=room.pk, body=f"hi {index}")
    with pytest.raises(ChatRateLimited):
        room_message_post(user=user, room_id=room.pk, body="one too many")
    room_message_post(user=other_user, room_id=room.pk, body="others still talk")
    assert RoomMessage.objects.filter(room=room).count() == 4
