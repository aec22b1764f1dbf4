"""WebSockets judged by their token and following it, over the wire: a real daphne and a real
websockets client that sends no `Origin` header unless a test gives one (as native apps do).

- Without `Origin`, a good token gets in and a bad one gets 4401; a foreign browser `Origin` is
  closed with 4403; an origin of CORS_ALLOWED_ORIGINS gets in, and REST answers its preflight.
- A server whose access tokens live 5 seconds closes a socket with 4401 at expiry, unless the
  client sent `{"type": "auth"}` with a fresh token first.
- Logout closes the socket within seconds and the old access token gets 401 on REST; across
  two daphne processes on Redis (with a Celery worker delivering the outbox), a logout or a
  password change on one process closes the socket held by the other.

Needs DATABASE_URL (the servers' own migrated database); the two-process test needs REDIS_URL.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.e2e.harness import http_client, running_server, running_worker, server_env

pytestmark = pytest.mark.e2e

PASSWORD = "Correct-horse-42"
APP_ORIGIN = "https://app.example.com"
# `exp` has whole seconds: a token lives between LIFETIME - 1 and LIFETIME seconds.
SHORT_LIFETIME_SECONDS = 5
LEARNING = "/ws/learning/analytics/"
PROFILE = "/api/auth/profile/"


# --- servers ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def outbox_worker(e2e_database_url: str) -> Iterator[None]:
    """With Redis, accounts' events reach the realtime subscriber through a Celery worker;
    without it, Celery is eager and the server delivers them itself."""
    if not os.environ.get("REDIS_URL", "").strip():
        yield
        return
    with running_worker(server_env(DATABASE_URL=e2e_database_url)):
        yield


@pytest.fixture(scope="module")
def server(e2e_database_url: str, outbox_worker: None) -> Iterator[str]:
    env = server_env(DATABASE_URL=e2e_database_url, CORS_ALLOWED_ORIGINS=APP_ORIGIN)
    with running_server(env) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def short_lived_server(e2e_database_url: str) -> Iterator[str]:
    env = server_env(
        DATABASE_URL=e2e_database_url, ACCESS_TOKEN_LIFETIME_SECONDS=str(SHORT_LIFETIME_SECONDS)
    )
    with running_server(env) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def two_servers(e2e_database_url: str, outbox_worker: None) -> Iterator[tuple[str, str]]:
    if not os.environ.get("REDIS_URL", "").strip():
        pytest.skip("needs REDIS_URL: two server processes share the channel layer through Redis")
    env = server_env(DATABASE_URL=e2e_database_url)
    with running_server(env) as first, running_server(env) as second:
        yield first, second


# --- clients ------------------------------------------------------------------------------------


def register(base_url: str) -> dict[str, Any]:
    tag = secrets.token_hex(4)
    account = {"email": f"ws-{tag}@example.com", "username": f"ws_{tag}", "password": PASSWORD}
    with http_client(base_url) as api:
        response = api.post("/api/auth/register/", json=account)
    assert response.status_code == 201, response.text
    body = response.json()
    return {"email": account["email"], "access": body["access"], "refresh": body["refresh"]}


def login(base_url: str, email: str) -> dict[str, Any]:
    with http_client(base_url) as api:
        response = api.post("/api/auth/login/", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return dict(response.json())


def profile_status(base_url: str, access: str) -> int:
    with http_client(base_url) as api:
        return api.get(PROFILE, headers={"Authorization": f"Bearer {access}"}).status_code


def socket(base_url: str, token: str | None, origin: str | None = None) -> Any:
    query = f"?token={token}" if token is not None else ""
    url = f"ws://{urlsplit(base_url).netloc}{LEARNING}{query}"
    return connect(url, origin=origin, proxy=None)  # type: ignore[arg-type]


async def assert_open(ws: ClientConnection) -> None:
    """The socket answers: an unknown message type gets an error event back."""
    await ws.send(json.dumps({"type": "probe-open"}))
    async with asyncio.timeout(5):
        while True:
            event = json.loads(await ws.recv())
            if event["type"] == "error":
                assert event["code"] == "unknown_type", event
                return


async def next_event(ws: ClientConnection, kind: str) -> dict[str, Any]:
    async with asyncio.timeout(5):
        while True:
            event = json.loads(await ws.recv())
            if event["type"] == kind:
                return dict(event)


async def close_code(ws: ClientConnection, timeout: float = 5.0) -> int | None:
    try:
        async with asyncio.timeout(timeout):
            while True:
                await ws.recv()
    except ConnectionClosed:
        pass
    return ws.close_code


async def code_of(base_url: str, token: str | None, origin: str | None = None) -> int | None:
    async with socket(base_url, token, origin) as ws:
        return await close_code(ws)


# --- judged by the token, with or without Origin ------------------------------------------------


def test_without_origin_a_good_token_gets_in_and_a_bad_one_gets_4401(server: str) -> None:
    account = register(server)

    async def scenario() -> list[int | None]:
        async with socket(server, account["access"]) as ws:
            assert ws.request is not None
            assert "Origin" not in ws.request.headers  # a native client's handshake
            await assert_open(ws)
        return [await code_of(server, token) for token in ("garbage", None, account["refresh"])]

    assert asyncio.run(scenario()) == [4401, 4401, 4401]


def test_a_foreign_browser_origin_gets_4403_and_allowed_ones_get_in(server: str) -> None:
    account = register(server)

    async def scenario() -> list[int | None]:
        for allowed in (APP_ORIGIN, server):  # CORS_ALLOWED_ORIGINS, and the site itself
            async with socket(server, account["access"], origin=allowed) as ws:
                await assert_open(ws)
        foreign = "https://evil.example"
        return [
            await code_of(server, account["access"], origin=foreign),
            await code_of(server, "garbage", origin=foreign),  # the origin is judged first
            await code_of(server, "garbage", origin=APP_ORIGIN),  # then the token
        ]

    assert asyncio.run(scenario()) == [4403, 4403, 4401]


def test_rest_answers_the_preflight_of_an_allowed_origin_only(server: str) -> None:
    request_headers = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
    }
    with http_client(server) as api:
        allowed = api.options("/api/auth/login/", headers={"Origin": APP_ORIGIN, **request_headers})
        foreign = api.options(
            "/api/auth/login/", headers={"Origin": "https://evil.example", **request_headers}
        )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == APP_ORIGIN
    assert "idempotency-key" in allowed.headers["access-control-allow-headers"]
    assert "access-control-allow-origin" not in foreign.headers


# --- following the token ------------------------------------------------------------------------


def test_a_socket_closes_4401_at_expiry_unless_renewed(short_lived_server: str) -> None:
    account = register(short_lived_server)
    issued = time.monotonic()

    def since_issued() -> float:
        return time.monotonic() - issued

    async def scenario() -> tuple[int | None, float, dict[str, Any], int | None, float]:
        async with (
            socket(short_lived_server, account["access"]) as kept,
            socket(short_lived_server, account["access"]) as left,
        ):
            await asyncio.sleep(2.5)
            with http_client(short_lived_server) as api:
                response = api.post("/api/auth/refresh/", json={"refresh": account["refresh"]})
            assert response.status_code == 200, response.text
            await kept.send(json.dumps({"type": "auth", "token": response.json()["access"]}))
            renewed = await next_event(kept, "auth_ok")

            left_code = await close_code(left, timeout=SHORT_LIFETIME_SECONDS + 2)
            left_after = since_issued()
            await asyncio.sleep(max(0.0, SHORT_LIFETIME_SECONDS + 0.5 - since_issued()))
            await assert_open(kept)  # past the first token's expiry
            kept_code = await close_code(kept, timeout=SHORT_LIFETIME_SECONDS + 2)
            kept_after = since_issued()
        return left_code, left_after, renewed, kept_code, kept_after

    left_code, left_after, renewed, kept_code, kept_after = asyncio.run(scenario())
    assert left_code == 4401
    assert SHORT_LIFETIME_SECONDS - 1.5 <= left_after <= SHORT_LIFETIME_SECONDS + 1
    assert set(renewed) == {"type", "expires_at"}
    assert kept_code == 4401
    assert kept_after >= SHORT_LIFETIME_SECONDS + 1  # the renewed token's expiry, not the first


def test_logout_closes_the_socket_and_ends_the_access_token(server: str) -> None:
    account = register(server)

    async def scenario() -> tuple[int | None, float]:
        async with socket(server, account["access"]) as ws:
            await assert_open(ws)
            started = time.monotonic()
            with http_client(server) as api:
                response = api.post("/api/auth/logout/", json={"refresh": account["refresh"]})
            assert response.status_code == 205, response.text
            code = await close_code(ws)
            return code, time.monotonic() - started

    code, seconds = asyncio.run(scenario())
    assert code == 4401
    assert seconds < 3
    assert profile_status(server, account["access"]) == 401


def test_across_processes_logout_and_password_change_close_the_other_process_socket(
    two_servers: tuple[str, str],
) -> None:
    first, second = two_servers
    account = register(first)
    other_sign_in = login(first, account["email"])

    async def scenario() -> list[tuple[int | None, float]]:
        results = []
        async with socket(second, account["access"]) as ws:
            await assert_open(ws)
            started = time.monotonic()
            with http_client(first) as api:
                response = api.post("/api/auth/logout/", json={"refresh": account["refresh"]})
            assert response.status_code == 205, response.text
            results.append((await close_code(ws), time.monotonic() - started))
        async with socket(second, other_sign_in["access"]) as ws:
            await assert_open(ws)  # the logout ended the other sign-in only
            started = time.monotonic()
            with http_client(first) as api:
                response = api.post(
                    "/api/auth/password/change/",
                    json={"old_password": PASSWORD, "new_password": "Another-Lantern-88"},
                    headers={"Authorization": f"Bearer {other_sign_in['access']}"},
                )
            assert response.status_code == 204, response.text
            results.append((await close_code(ws), time.monotonic() - started))
        return results

    (logout_code, logout_seconds), (change_code, change_seconds) = asyncio.run(scenario())
    assert (logout_code, change_code) == (4401, 4401)
    assert logout_seconds < 5
    assert change_seconds < 5
    assert profile_status(second, account["access"]) == 401  # the other process refuses it too
