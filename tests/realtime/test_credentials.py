"""Sockets live only as long as their credentials, through the real ASGI stack in-process: the
token's expiry closes with 4401 unless an `auth` message carried a fresh one; logout, password
change (REST), deactivation and staff removal (the admin) close within seconds. The changes
travel as accounts events through the outbox (eager here) and the channel layer; the
two-process version over Redis is tests/e2e/test_realtime_credentials.py."""

from __future__ import annotations

import asyncio
import datetime
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from studymate_api.asgi import application
from tests.conftest import admin_signed_in, login_tokens
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.realtime.asyncapi import CheckedCommunicator
from tests.realtime.credentials_support import admin_change_data, assert_open, short_lived_token
from tests.realtime.learning_support import ORIGIN, close_code, learning_socket, next_event
from tests.realtime.room_support import reset_channel_layers

pytestmark = pytest.mark.django_db(transaction=True)

MONITORING = "/ws/system/monitoring/"


@pytest.fixture(autouse=True)
def _outbox_in_process(celery_in_process: None) -> None:
    """The accounts events reach their subscribers in this process, with or without Redis."""


@pytest.fixture(autouse=True)
def _fresh_layers():
    reset_channel_layers()
    yield
    reset_channel_layers()


def monitoring_socket(token: str) -> WebsocketCommunicator:
    return CheckedCommunicator(application, f"{MONITORING}?token={token}", [ORIGIN])


async def connected(socket: WebsocketCommunicator) -> WebsocketCommunicator:
    accepted, _ = await socket.connect()
    assert accepted
    return socket


async def closes_within(socket: WebsocketCommunicator, seconds: float) -> tuple[int, float]:
    """(close code, seconds it took)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    code = await close_code(socket, timeout=seconds)
    return code, loop.time() - started


# --- expiry and `auth` ----------------------------------------------------------------------


def test_a_token_that_expires_while_open_closes_the_socket_4401(user):
    async def scenario() -> tuple[int, float]:
        socket = await connected(learning_socket(token=str(short_lived_token(user, 2))))
        await assert_open(socket)
        result = await closes_within(socket, 5)
        await socket.disconnect()
        return result

    code, elapsed = async_to_sync(scenario)()
    assert code == 4401
    assert 0.5 <= elapsed <= 3.5


def test_an_auth_message_with_a_fresh_token_carries_the_socket_past_expiry(user):
    first, fresh = short_lived_token(user, 2), short_lived_token(user, 5)

    async def scenario() -> tuple[dict[str, Any], int]:
        loop = asyncio.get_running_loop()
        started = loop.time()
        socket = await connected(learning_socket(token=str(first)))
        await socket.send_json_to({"type": "auth", "token": str(fresh)})
        answer = await next_event(socket, "auth_ok")
        await asyncio.sleep(max(0.0, 3.0 - (loop.time() - started)))  # past the first expiry
        await assert_open(socket)
        code, _elapsed = await closes_within(socket, 5)  # the fresh token's expiry now
        await socket.disconnect()
        return answer, code

    answer, code = async_to_sync(scenario)()
    expires_at = datetime.datetime.fromtimestamp(fresh["exp"], tz=datetime.UTC)
    assert answer == {"type": "auth_ok", "expires_at": expires_at.isoformat()}
    assert code == 4401


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ({"type": "auth"}, "invalid_message"),
        ({"type": "auth", "token": 42}, "invalid_message"),
        ({"type": "auth", "token": "garbage"}, "token_invalid"),
        ("other user's token", "token_user_mismatch"),
        ("expired token", "token_invalid"),
    ],
)
def test_a_bad_auth_message_is_an_error_and_changes_nothing(user, other_user, message, code):
    if message == "other user's token":
        message = {"type": "auth", "token": str(short_lived_token(other_user, 600))}
    elif message == "expired token":
        message = {"type": "auth", "token": str(short_lived_token(user, -60))}

    async def scenario() -> tuple[dict[str, Any], int]:
        socket = await connected(learning_socket(token=str(short_lived_token(user, 2))))
        await socket.send_json_to(message)
        error = await next_event(socket, "error")
        await assert_open(socket)
        closed, _elapsed = await closes_within(socket, 5)  # still at the first token's expiry
        await socket.disconnect()
        return error, closed

    error, closed = async_to_sync(scenario)()
    assert error["code"] == code
    assert closed == 4401


def test_a_staff_socket_renewed_with_a_token_of_a_user_no_longer_staff_closes_4403():
    staff = UserFactory.create(is_staff=True)

    async def scenario() -> int:
        socket = await connected(monitoring_socket(str(short_lived_token(staff, 600))))
        await next_event(socket, "system", timeout=5)
        # Demoted without the admin (no event): only the renewal can notice.
        await sync_to_async(User.objects.filter(pk=staff.pk).update)(is_staff=False)
        await socket.send_json_to({"type": "auth", "token": str(short_lived_token(staff, 600))})
        code, _elapsed = await closes_within(socket, 3)
        await socket.disconnect()
        return code

    assert async_to_sync(scenario)() == 4403


# --- changes of credentials close the sockets that no longer hold ----------------------------


def test_logout_closes_the_sockets_of_that_sign_in_only(user):
    phone, laptop = login_tokens(APIClient(), user.email), login_tokens(APIClient(), user.email)

    def logout() -> int:
        response = APIClient().post("/api/auth/logout/", {"refresh": phone["refresh"]})
        return response.status_code

    async def scenario() -> tuple[int, int, float]:
        on_phone = await connected(learning_socket(token=phone["access"]))
        on_laptop = await connected(learning_socket(token=laptop["access"]))
        status = await sync_to_async(logout)()
        code, elapsed = await closes_within(on_phone, 3)
        await assert_open(on_laptop)  # another sign-in of the same user
        for socket in (on_phone, on_laptop):
            await socket.disconnect()
        return status, code, elapsed

    status, code, elapsed = async_to_sync(scenario)()
    assert status == 205
    assert code == 4401
    assert elapsed < 2


def test_a_password_change_closes_every_socket_of_the_user(user, other_user):
    tokens = login_tokens(APIClient(), user.email)
    elsewhere = login_tokens(APIClient(), user.email)
    bystander = login_tokens(APIClient(), other_user.email)

    def change_password() -> int:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
        response = client.post(
            "/api/auth/password/change/",
            {"old_password": DEFAULT_PASSWORD, "new_password": "Another-Lantern-88"},
        )
        return response.status_code

    async def scenario() -> tuple[int, list[int]]:
        sockets = [
            await connected(learning_socket(token=tokens["access"])),
            await connected(learning_socket(token=elsewhere["access"])),  # another sign-in
        ]
        other = await connected(learning_socket(token=bystander["access"]))
        status = await sync_to_async(change_password)()
        codes = [(await closes_within(socket, 3))[0] for socket in sockets]
        await assert_open(other)
        for socket in (*sockets, other):
            await socket.disconnect()
        return status, codes

    status, codes = async_to_sync(scenario)()
    assert status == 204
    assert codes == [4401, 4401]


@pytest.fixture
def superuser_client() -> Client:
    client = Client()
    admin_signed_in(client, UserFactory.create(is_staff=True, is_superuser=True))
    return client


def admin_save(client: Client, user: User, **changes: Any) -> int:
    url = f"/admin/accounts/user/{user.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(url, admin_change_data(page, **changes))
    assert response.status_code == 302, response.context["adminform"].form.errors
    return response.status_code


def test_deactivation_in_the_admin_closes_the_users_sockets(superuser_client, user):
    tokens = login_tokens(APIClient(), user.email)

    async def scenario() -> tuple[int, float]:
        socket = await connected(learning_socket(token=tokens["access"]))
        await sync_to_async(admin_save)(superuser_client, user, is_active=False)
        result = await closes_within(socket, 3)
        await socket.disconnect()
        return result

    code, elapsed = async_to_sync(scenario)()
    assert code == 4401
    assert elapsed < 2
    assert not User.objects.get(pk=user.pk).is_active


def test_staff_removal_in_the_admin_closes_the_monitoring_socket_4403(superuser_client):
    staff = UserFactory.create(is_staff=True)
    tokens = login_tokens(APIClient(), staff.email)

    async def scenario() -> tuple[int, float]:
        monitor = await connected(monitoring_socket(tokens["access"]))
        await next_event(monitor, "system", timeout=5)
        learning = await connected(learning_socket(token=tokens["access"]))
        await sync_to_async(admin_save)(superuser_client, staff, is_staff=False)
        result = await closes_within(monitor, 3)
        await assert_open(learning)  # not staff-only: a learner may keep it
        for socket in (monitor, learning):
            await socket.disconnect()
        return result

    code, elapsed = async_to_sync(scenario)()
    assert code == 4403
    assert elapsed < 2


def test_an_admin_save_that_leaves_the_flags_alone_closes_nothing(superuser_client, user):
    tokens = login_tokens(APIClient(), user.email)

    async def scenario() -> None:
        socket = await connected(learning_socket(token=tokens["access"]))
        await sync_to_async(admin_save)(superuser_client, user, first_name="Renamed")
        await asyncio.sleep(0.5)
        await assert_open(socket)
        await socket.disconnect()

    async_to_sync(scenario)()
    assert User.objects.get(pk=user.pk).first_name == "Renamed"
