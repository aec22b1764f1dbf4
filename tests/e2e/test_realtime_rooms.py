"""One study room served by two real daphne processes on the same Redis and PostgreSQL, with a
real WebSocket client: members on different processes see each other join, chat and share the
timer; a reconnect to the other process keeps presence; close codes over the wire.

Needs DATABASE_URL (the servers' own migrated database) and REDIS_URL (the channel layer and
presence the two processes share).
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import psycopg
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.e2e.harness import http_client, running_server, server_env
from tests.realtime.asyncapi import check_message

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL", "").strip(),
        reason="needs REDIS_URL: two server processes share one room only through Redis",
    ),
]

PASSWORD = "Correct-horse-42"
GRACE_SECONDS = 2


@pytest.fixture(scope="module")
def servers(e2e_database_url: str) -> Iterator[tuple[str, str]]:
    env = server_env(
        DATABASE_URL=e2e_database_url,
        REALTIME_PRESENCE_GRACE_SECONDS=str(GRACE_SECONDS),
        REALTIME_PRESENCE_TTL_SECONDS="6",
    )
    with running_server(env) as first, running_server(env) as second:
        yield first, second


def _register(api: httpx.Client) -> dict[str, Any]:
    tag = secrets.token_hex(4)
    account = {"email": f"room-{tag}@example.com", "username": f"room_{tag}", "password": PASSWORD}
    response = api.post("/api/auth/register/", json=account)
    assert response.status_code == 201, response.text
    body = response.json()
    return {"id": body["user"]["id"], "access": body["access"]}


def _bearer(account: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {account['access']}"}


@pytest.fixture(scope="module")
def room(servers: tuple[str, str]) -> dict[str, Any]:
    """A private room of alice (created on server 1) that bob joined (on server 2)."""
    first, second = servers
    with http_client(first) as api_1, http_client(second) as api_2:
        alice, bob, carol = _register(api_1), _register(api_2), _register(api_2)
        stranger = _register(api_1)
        created = api_1.post(
            "/api/study/realtime/rooms/",
            json={"name": "Two processes", "is_public": False},
            headers=_bearer(alice),
        )
        assert created.status_code == 201, created.text
        room = created.json()
        for member in (bob, carol):
            joined = api_2.post(
                f"/api/study/realtime/rooms/{room['id']}/join/",
                json={"invite_code": room["invite_code"]},
                headers=_bearer(member),
            )
            assert joined.status_code == 200, joined.text
    return {"id": room["id"], "alice": alice, "bob": bob, "carol": carol, "stranger": stranger}


def _ws_url(base_url: str, room_id: int, token: str) -> str:
    return f"ws://{urlsplit(base_url).netloc}/ws/study/room/{room_id}/?token={token}"


def _open(base_url: str, room_id: int, token: str) -> Any:
    return connect(_ws_url(base_url, room_id, token), origin=base_url, proxy=None)  # type: ignore[arg-type]


async def _receive(ws: ClientConnection) -> dict[str, Any]:
    """The next message, checked against the AsyncAPI document of the socket's channel."""
    event = json.loads(await ws.recv())
    assert ws.request is not None
    check_message(ws.request.path, event)
    return dict(event)


async def _next(ws: ClientConnection, kind: str, timeout: float = 5.0) -> dict[str, Any]:
    """The next event of `kind`, skipping others."""
    async with asyncio.timeout(timeout):
        while True:
            event = await _receive(ws)
            if event["type"] == kind:
                return dict(event)


def _ids(event: dict[str, Any]) -> set[int]:
    return {user["id"] for user in event.get("users", [])}


async def _presence(ws: ClientConnection, kind: str, user_id: int, timeout: float = 5.0) -> None:
    """Waits for a `kind` announcement naming `user_id` (announcements are batched)."""
    async with asyncio.timeout(timeout):
        while user_id not in _ids(await _next(ws, kind, timeout)):
            pass


async def _quiet(ws: ClientConnection, kinds: set[str], seconds: float) -> list[dict[str, Any]]:
    """Events of `kinds` received within `seconds` (expected: none)."""
    seen: list[dict[str, Any]] = []
    try:
        async with asyncio.timeout(seconds):
            while True:
                event = await _receive(ws)
                if event["type"] in kinds:
                    seen.append(event)
    except TimeoutError:
        return seen


async def _close_code(ws: ClientConnection) -> int | None:
    try:
        async with asyncio.timeout(5):
            while True:
                await ws.recv()
    except ConnectionClosed:
        pass
    return ws.close_code


def test_members_on_two_processes_share_presence_chat_and_timer(
    servers: tuple[str, str], room: dict[str, Any]
) -> None:
    first, second = servers
    alice, bob = room["alice"], room["bob"]

    async def scenario() -> None:
        async with _open(first, room["id"], alice["access"]) as alice_ws:
            snapshot = await _next(alice_ws, "snapshot")
            assert [member["id"] for member in snapshot["members"]] == [alice["id"]]
            async with _open(second, room["id"], bob["access"]) as bob_ws:
                snapshot = await _next(bob_ws, "snapshot")
                assert {m["id"] for m in snapshot["members"]} == {alice["id"], bob["id"]}
                # Presence crosses processes: alice (server 1) sees bob (server 2) join.
                await _presence(alice_ws, "join", bob["id"])

                await bob_ws.send(json.dumps({"type": "chat", "message": "hello from 2"}))
                chat = await _next(alice_ws, "chat")
                assert (chat["user"]["id"], chat["message"]) == (bob["id"], "hello from 2")

                await alice_ws.send(json.dumps({"type": "timer", "action": "start"}))
                timer = await _next(bob_ws, "timer")
                assert (timer["status"], timer["updated_by"]) == ("running", alice["id"])

                await alice_ws.send(json.dumps({"type": "status", "typing": True}))
                status = await _next(bob_ws, "status")
                assert (status["user"]["id"], status["user"]["typing"]) == (alice["id"], True)

                # A late joiner on the other process gets the running timer in its snapshot.
                async with _open(first, room["id"], bob["access"]) as bob_tab:
                    late = await _next(bob_tab, "snapshot")
                    assert late["timer"]["status"] == "running"
                    assert 0 < late["timer"]["remaining_seconds"] <= 1500
                    assert late["timer"]["ends_at"] is not None

    asyncio.run(scenario())
    with http_client(first) as api:
        history = api.get(
            f"/api/study/realtime/rooms/{room['id']}/messages/", headers=_bearer(alice)
        )
    assert history.status_code == 200, history.text
    assert [row["message"] for row in history.json()] == ["hello from 2"]


def test_a_reconnect_to_the_other_process_keeps_presence(
    servers: tuple[str, str], room: dict[str, Any]
) -> None:
    first, second = servers
    alice, carol = room["alice"], room["carol"]

    async def scenario() -> None:
        async with _open(first, room["id"], alice["access"]) as alice_ws:
            await _next(alice_ws, "snapshot")
            async with _open(second, room["id"], carol["access"]) as carol_ws:
                await _next(carol_ws, "snapshot")
                await _presence(alice_ws, "join", carol["id"])
            # carol's connection dropped; she is back within the grace period, on server 1.
            async with _open(first, room["id"], carol["access"]) as carol_again:
                snapshot = await _next(carol_again, "snapshot")
                assert carol["id"] in {member["id"] for member in snapshot["members"]}
                flaps = await _quiet(alice_ws, {"join", "leave"}, GRACE_SECONDS + 1.5)
                assert [e for e in flaps if carol["id"] in _ids(e)] == []
            # Gone for good: the leave comes once the grace period is over, across processes.
            await _presence(alice_ws, "leave", carol["id"], timeout=GRACE_SECONDS + 4)

    asyncio.run(scenario())


def test_close_codes_over_the_wire(servers: tuple[str, str], room: dict[str, Any]) -> None:
    first, second = servers

    async def scenario() -> None:
        async with _open(first, room["id"], "not-a-token") as ws:
            assert await _close_code(ws) == 4401
        # A private room the stranger is not in does not exist for them.
        async with _open(second, room["id"], room["stranger"]["access"]) as ws:
            assert await _close_code(ws) == 4404

    asyncio.run(scenario())


def test_monitoring_refuses_learners_and_feeds_staff(
    servers: tuple[str, str], room: dict[str, Any], e2e_database_url: str
) -> None:
    first, _second = servers
    with http_client(first) as api:
        operator = _register(api)
    with psycopg.connect(e2e_database_url, autocommit=True) as connection:
        connection.execute(
            "UPDATE accounts_user SET is_staff = true WHERE id = %s", [operator["id"]]
        )
    url = f"ws://{urlsplit(first).netloc}/ws/system/monitoring/?token="

    async def scenario() -> None:
        async with connect(url + room["bob"]["access"], origin=first, proxy=None) as ws:  # type: ignore[arg-type]
            assert await _close_code(ws) == 4403
        async with connect(url + operator["access"], origin=first, proxy=None) as ws:  # type: ignore[arg-type]
            snapshot = await _next(ws, "system")
            assert snapshot["open_sockets"]["by_route"]["monitoring"] == 1
            assert snapshot["http"]["requests"] >= 1  # the registration above, at least
            assert snapshot["celery_queues"] is not None  # Redis is the broker here
            assert isinstance(snapshot["stream_lag"], int)
            assert 0 <= snapshot["memory_percent"] <= 100

    asyncio.run(scenario())
