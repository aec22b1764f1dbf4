"""Tampered, expired and revoked tokens: 401 in the error envelope over REST, and close code 4401
at the WebSocket handshake (through the real ASGI stack with Channels' communicator)."""

from __future__ import annotations

import base64
import datetime
import json
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.models import User
from accounts.services import user_password_change
from studymate_api.asgi import application
from tests.conftest import login_tokens
from tests.factories import DEFAULT_PASSWORD
from tests.realtime.learning_support import ORIGIN, close_code
from tests.realtime.room_support import reset_channel_layers
from tests.security.conftest import assert_envelope

PROFILE = "/api/auth/profile/"


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _claims(user: User) -> dict[str, Any]:
    return dict(AccessToken.for_user(user).payload)


def alg_none(user: User) -> str:
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims(user))}."


def wrong_key(user: User) -> str:
    return jwt.encode(_claims(user), "not-the-signing-key-" * 3, algorithm="HS256")


def other_algorithm(user: User) -> str:
    return jwt.encode(_claims(user), api_settings.SIGNING_KEY, algorithm="HS512")


def expired(user: User) -> str:
    claims = _claims(user)
    claims["exp"] = int((timezone.now() - datetime.timedelta(minutes=1)).timestamp())
    return jwt.encode(claims, api_settings.SIGNING_KEY, algorithm=api_settings.ALGORITHM)


def modified_user_id(user: User) -> str:
    """A valid token of `user` whose payload now names another user id, signature kept."""
    header, _payload, signature = str(AccessToken.for_user(user)).split(".")
    return f"{header}.{_b64({**_claims(user), 'user_id': str(user.pk + 1)})}.{signature}"


def refresh_as_access(user: User) -> str:
    return str(RefreshToken.for_user(user))


def before_password_change(user: User) -> str:
    token = str(AccessToken.for_user(user))
    user_password_change(user=user, old_password=DEFAULT_PASSWORD, new_password="N3w-Secret-99!")
    return token


def garbage(user: User) -> str:
    return "not.a.jwt"


TAMPERED: list[Callable[[User], str]] = [
    alg_none, wrong_key, other_algorithm, expired, modified_user_id, refresh_as_access,
    before_password_change, garbage,
]  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize("make_token", TAMPERED, ids=lambda f: f.__name__)
def test_rest_refuses_the_token_with_401(
    make_token: Callable[[User], str], user: User, other_user: User
) -> None:
    token = make_token(user)
    response = APIClient().get(PROFILE, HTTP_AUTHORIZATION=f"Bearer {token}")
    body = assert_envelope(response, 401)
    assert body["error"]["code"] in {"authentication_failed", "not_authenticated"}
    assert other_user.email not in response.content.decode()


@pytest.mark.django_db
def test_the_untampered_token_works(user: User) -> None:
    """The control: the same construction without tampering is accepted."""
    token = jwt.encode(_claims(user), api_settings.SIGNING_KEY, algorithm=api_settings.ALGORITHM)
    response = APIClient().get(PROFILE, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert response.json()["email"] == user.email


@pytest.mark.django_db
def test_a_blacklisted_refresh_token_is_refused(user: User) -> None:
    client = APIClient()
    refresh = login_tokens(client, user.email)["refresh"]
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {login_tokens(client, user.email)['access']}")
    assert client.post("/api/auth/logout/", {"refresh": refresh}, format="json").status_code == 205
    again = APIClient().post("/api/auth/refresh/", {"refresh": refresh}, format="json")
    assert_envelope(again, 401)


@pytest.mark.django_db
def test_a_rotated_refresh_token_is_refused(user: User) -> None:
    client = APIClient()
    refresh = login_tokens(client, user.email)["refresh"]
    assert client.post("/api/auth/refresh/", {"refresh": refresh}, format="json").status_code == 200
    assert_envelope(client.post("/api/auth/refresh/", {"refresh": refresh}, format="json"), 401)


def _handshake_close_code(token: str) -> int:
    async def scenario() -> int:
        socket = WebsocketCommunicator(
            application, f"/ws/learning/analytics/?token={token}", headers=[ORIGIN]
        )
        accepted, _ = await socket.connect()
        assert accepted  # accepted, then closed: the client sees the code
        code = await close_code(socket)
        await socket.disconnect()
        return code

    return async_to_sync(scenario)()


@pytest.fixture
def _fresh_layers() -> Any:
    reset_channel_layers()
    yield
    reset_channel_layers()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_fresh_layers")
@pytest.mark.parametrize("make_token", TAMPERED, ids=lambda f: f.__name__)
def test_websocket_handshake_closes_with_4401(
    make_token: Callable[[User], str], user: User
) -> None:
    assert _handshake_close_code(make_token(user)) == 4401


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_fresh_layers")
def test_websocket_accepts_the_untampered_token(user: User) -> None:
    async def scenario() -> bool:
        token = str(AccessToken.for_user(user))
        socket = WebsocketCommunicator(
            application, f"/ws/learning/analytics/?token={token}", headers=[ORIGIN]
        )
        accepted, _ = await socket.connect()
        stays_open = accepted and await socket.receive_nothing(timeout=0.3)
        await socket.disconnect()
        return bool(stays_open)

    assert async_to_sync(scenario)()
