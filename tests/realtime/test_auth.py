"""JWT authentication and the Origin rule of WebSocket handshakes through the real ASGI stack
(origin check, the JWT middleware, the router) with Channels' WebsocketCommunicator."""

from __future__ import annotations

import datetime

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.selectors import access_grant_for_token
from accounts.services import user_password_change
from realtime.auth import AUTH_INVALID, AUTH_MISSING, token_from_scope
from studymate_api.asgi import application
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.realtime.asyncapi import CheckedCommunicator
from tests.realtime.learning_support import (
    ORIGIN,
    access_token,
    close_code,
    learning_socket,
    next_event,
)
from tests.realtime.room_support import reset_channel_layers

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_layers():
    reset_channel_layers()
    yield
    reset_channel_layers()


def closes_with(socket: WebsocketCommunicator) -> int:
    async def scenario() -> int:
        accepted, _ = await socket.connect()
        assert accepted  # accepted, then closed: the client sees the code
        code = await close_code(socket)
        await socket.disconnect()
        return code

    return async_to_sync(scenario)()


def stays_open(socket: WebsocketCommunicator) -> None:
    async def scenario() -> None:
        accepted, _ = await socket.connect()
        assert accepted
        await socket.send_json_to({"type": "nonsense"})
        event = await next_event(socket, "error")
        assert event["code"] == "unknown_type"  # the socket answers: it is open
        await socket.disconnect()

    async_to_sync(scenario)()


def test_a_valid_query_token_connects(user):
    stays_open(learning_socket(user))


def test_a_valid_authorization_header_connects(user):
    header = (b"authorization", f"Bearer {access_token(user)}".encode())
    stays_open(learning_socket(headers=[header]))


def test_without_a_token_the_socket_closes_4401():
    assert closes_with(learning_socket()) == 4401


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "x" * 5000])
def test_a_malformed_token_closes_4401(token):
    assert closes_with(learning_socket(token=token)) == 4401


def test_an_expired_token_closes_4401(user):
    token = AccessToken.for_user(user)
    token.set_exp(from_time=timezone.now() - datetime.timedelta(hours=1))
    assert closes_with(learning_socket(token=str(token))) == 4401


def test_a_refresh_token_is_not_an_access_token(user):
    assert closes_with(learning_socket(token=str(RefreshToken.for_user(user)))) == 4401


def test_a_password_change_revokes_the_token(user):
    token = access_token(user)
    user_password_change(user=user, old_password=DEFAULT_PASSWORD, new_password="Other-Lantern-88")
    assert closes_with(learning_socket(token=token)) == 4401


def test_an_inactive_user_is_refused(user):
    token = access_token(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert closes_with(learning_socket(token=token)) == 4401


def test_a_deleted_user_is_refused(user):
    token = access_token(user)
    user.delete()
    assert closes_with(learning_socket(token=token)) == 4401


def test_monitoring_refuses_a_learner_with_4403_and_admits_staff(user):
    path = "/ws/system/monitoring/"
    learner = CheckedCommunicator(application, f"{path}?token={access_token(user)}", [ORIGIN])
    assert closes_with(learner) == 4403
    staff = UserFactory.create(is_staff=True)
    admitted = CheckedCommunicator(application, f"{path}?token={access_token(staff)}", [ORIGIN])

    async def scenario() -> None:
        accepted, _ = await admitted.connect()
        assert accepted
        event = await next_event(admitted, "system", timeout=5)
        assert event["type"] == "system"
        await admitted.disconnect()

    async_to_sync(scenario)()


# --- the Origin rule: same codes with or without Origin ---------------------------------------


def socket_with_headers(token: str | None, headers: list[tuple[bytes, bytes]]):
    query = f"?token={token}" if token is not None else ""
    return CheckedCommunicator(application, f"/ws/learning/analytics/{query}", headers=headers)


def test_without_origin_a_good_token_connects(user):
    stays_open(socket_with_headers(access_token(user), []))


@pytest.mark.parametrize("token", [None, "garbage"])
def test_without_origin_a_bad_token_closes_4401(token):
    assert closes_with(socket_with_headers(token, [])) == 4401


@pytest.mark.parametrize(
    "origin", [b"https://evil.example", b"null", b"", b"http://localhost.evil.example"]
)
def test_a_foreign_origin_is_closed_4403_before_the_token_counts(user, origin):
    assert closes_with(socket_with_headers(access_token(user), [(b"origin", origin)])) == 4403
    # Even with no token at all: the origin is judged first.
    assert closes_with(socket_with_headers(None, [(b"origin", origin)])) == 4403


def test_an_origin_in_cors_allowed_origins_connects(user, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    allowed = [(b"origin", b"https://app.example.com")]
    stays_open(socket_with_headers(access_token(user), allowed))
    # Scheme and port are part of an origin.
    for other in (b"http://app.example.com", b"https://app.example.com:8443"):
        assert closes_with(socket_with_headers(access_token(user), [(b"origin", other)])) == 4403


def test_a_same_host_origin_connects_and_still_needs_a_token(user):
    same_host = [ORIGIN]  # http://localhost, in ALLOWED_HOSTS
    stays_open(socket_with_headers(access_token(user), same_host))
    assert closes_with(socket_with_headers("garbage", same_host)) == 4401


# --- the pieces, directly ------------------------------------------------------------------


def test_token_from_scope_prefers_the_query():
    scope = {
        "query_string": b"token=from-query&x=1",
        "headers": [(b"authorization", b"Bearer from-header")],
    }
    assert token_from_scope(scope) == "from-query"
    assert token_from_scope({"query_string": b"", "headers": scope["headers"]}) == "from-header"
    assert token_from_scope({"headers": [(b"authorization", b"Basic abc")]}) is None
    assert token_from_scope({"query_string": b"token="}) is None


def test_the_grant_is_what_rest_accepts(user):
    token = AccessToken.for_user(user)
    grant = access_grant_for_token(str(token))
    assert grant is not None
    assert grant.user == user
    assert grant.expires_at == token["exp"]
    assert access_grant_for_token("nope") is None
    assert (AUTH_MISSING, AUTH_INVALID) == ("token_missing", "token_invalid")
