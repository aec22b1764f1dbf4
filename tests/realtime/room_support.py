"""Shared helpers of the study room tests: rooms made through the services, JWTs, sockets."""

from __future__ import annotations

from typing import Any

from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User
from realtime.models import StudyRoom
from realtime.services.rooms import room_create, room_join
from studymate_api.asgi import application
from tests.realtime.asyncapi import CheckedCommunicator

ORIGIN = (b"origin", b"http://localhost")


def make_room(
    owner: User, *, is_public: bool = True, capacity: int = 20, **extra: Any
) -> StudyRoom:
    return room_create(
        owner=owner,
        name=extra.pop("name", "Calculus crew"),
        is_public=is_public,
        capacity=capacity,
        **extra,
    )


def add_member(room: StudyRoom, user: User) -> None:
    room_join(user=user, room_id=room.pk, invite_code=room.invite_code)


def access_token(user: User) -> str:
    """A real access token (with the revoke claim login tokens carry); no database write, so
    async tests can make one inside their event loop."""
    return str(AccessToken.for_user(user))


def client_for(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token(user)}")
    return client


def socket(user: User | None, path: str) -> WebsocketCommunicator:
    """Every message it receives is checked against the AsyncAPI document."""
    query = f"?token={access_token(user)}" if user is not None else ""
    return CheckedCommunicator(application, f"{path}{query}", headers=[ORIGIN])


def room_socket(user: User | None, room: StudyRoom | int) -> WebsocketCommunicator:
    room_id = room if isinstance(room, int) else room.pk
    return socket(user, f"/ws/study/room/{room_id}/")


def reset_channel_layers() -> None:
    """Each test runs its own event loop; layers bound to an earlier loop must not be reused."""
    channel_layers.backends.clear()
