"""Live learning sessions over the wire: a real daphne, the real `stream` process (with Redis;
the in-process analyzer without), a real Celery worker for the inactivity sweep, and a real
WebSocket client (`websockets`): close codes, ownership, every tab, reconnects, idle metrics."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from celery import current_app
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.e2e.harness import (
    MANAGE_PY,
    PROJECT_DIR,
    http_client,
    running_server,
    running_worker,
    server_env,
)
from tests.realtime.asyncapi import check_message

pytestmark = pytest.mark.e2e

PASSWORD = "Correct-horse-42"
IDLE_SECONDS = 3
HAS_REDIS = bool(os.environ.get("REDIS_URL", "").strip())


@contextmanager
def running_stream_process(env: dict[str, str]) -> Iterator[None]:
    """`manage.py realtime_analytics_management --start-streaming`, stopped with SIGTERM."""
    with tempfile.TemporaryDirectory(prefix="studymate-stream-") as tmp:
        log = Path(tmp) / "stream.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [
                    sys.executable,
                    str(MANAGE_PY),
                    "realtime_analytics_management",
                    "--start-streaming",
                ],
                cwd=PROJECT_DIR,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            deadline = time.monotonic() + 20
            while b"streaming learning.activity" not in log.read_bytes():
                assert process.poll() is None, log.read_text(errors="replace")
                assert time.monotonic() < deadline, log.read_text(errors="replace")
                time.sleep(0.1)
            yield
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=15) == 0, log.read_text(errors="replace")


@pytest.fixture(scope="module")
def stack_env(e2e_database_url: str) -> Iterator[dict[str, str]]:
    prefix = f"studymate-e2e-{secrets.token_hex(4)}:"
    yield server_env(
        DATABASE_URL=e2e_database_url,
        STREAM_KEY_PREFIX=prefix,
        STREAM_BLOCK_MS="500",
        REALTIME_SESSION_IDLE_SECONDS=str(IDLE_SECONDS),
        REALTIME_ANALYZER_TICK_SECONDS="1",
    )
    if HAS_REDIS:  # the activity stream of this module lives under its own prefix
        client = redis.Redis.from_url(os.environ["REDIS_URL"])
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
        client.close()


@pytest.fixture(scope="module")
def base_url(stack_env: dict[str, str]) -> Iterator[str]:
    with running_server(stack_env) as url:
        if HAS_REDIS:
            with running_stream_process(stack_env):
                yield url
        else:
            yield url  # embedded: the analyzer runs inside daphne


def register(base: str) -> dict[str, Any]:
    tag = secrets.token_hex(4)
    account = {
        "email": f"learn-{tag}@example.com",
        "username": f"learn_{tag}",
        "password": PASSWORD,
    }
    with http_client(base) as api:
        response = api.post("/api/auth/register/", json=account)
        assert response.status_code == 201, response.text
        body = response.json()
    return {"id": body["user"]["id"], "access": body["access"], "email": account["email"]}


def api_for(base: str, account: dict[str, Any]) -> httpx.Client:
    client = http_client(base)
    client.headers["Authorization"] = f"Bearer {account['access']}"
    return client


def start_session(base: str, account: dict[str, Any], name: str = "Biology") -> dict[str, Any]:
    with api_for(base, account) as api:
        subject = api.post("/api/study/subjects/", json={"name": name})
        assert subject.status_code == 201, subject.text
        started = api.post(
            "/api/study/realtime/learning/start_session/", json={"subject_id": subject.json()["id"]}
        )
        assert started.status_code == 201, started.text
        return dict(started.json())


def socket_url(base: str, token: str | None) -> str:
    url = f"{base.replace('http://', 'ws://')}/ws/learning/analytics/"
    return url if token is None else f"{url}?token={token}"


async def open_socket(base: str, token: str | None) -> ClientConnection:
    return await connect(socket_url(base, token), origin=base, open_timeout=10)  # type: ignore[arg-type]


async def next_event(socket: ClientConnection, kind: str, timeout: float = 5.0) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        raw = await asyncio.wait_for(socket.recv(), timeout=max(0.01, deadline - loop.time()))
        event = json.loads(raw)
        assert socket.request is not None
        check_message(socket.request.path, event)  # as the AsyncAPI document describes it
        if event["type"] == kind:
            return dict(event)


async def close_code(socket: ClientConnection) -> int | None:
    """Reads until the server closes the socket; its close code."""
    try:
        while True:
            await asyncio.wait_for(socket.recv(), timeout=5)
    except ConnectionClosed:
        return socket.close_code


def activity(session_id: str, event: str, **extra: Any) -> str:
    return json.dumps({"type": "activity", "session_id": session_id, "event": event, **extra})


# --- authentication --------------------------------------------------------------------------


def test_missing_bad_and_revoked_tokens_close_with_4401(base_url: str) -> None:
    account = register(base_url)
    with api_for(base_url, account) as api:
        changed = api.post(
            "/api/auth/password/change/",
            json={"old_password": PASSWORD, "new_password": "Another-horse-43"},
        )
    assert changed.status_code == 204, changed.text  # the access token is now revoked

    async def scenario() -> None:
        for token in [None, "garbage", account["access"]]:
            socket = await open_socket(base_url, token)
            assert await close_code(socket) == 4401, token

    asyncio.run(scenario())


# --- the learner's own live session ----------------------------------------------------------


def test_metrics_reach_every_tab_and_drop_when_the_learner_goes_idle(base_url: str) -> None:
    account = register(base_url)
    session = start_session(base_url, account)
    assert session["websocket_url"] == socket_url(base_url, None)
    session_id = session["session_id"]

    async def scenario() -> None:
        tab1 = await open_socket(base_url, account["access"])
        tab2 = await open_socket(base_url, account["access"])
        await next_event(tab1, "metrics")  # the snapshot on connect
        await next_event(tab2, "metrics")
        await tab1.send(activity(session_id, "answer", data={"correct": True}, ref=1))
        focused = await next_event(tab1, "metrics")
        assert (focused["ref"], focused["answers"], focused["focus_score"]) == (1, 1, 100.0)
        assert (await next_event(tab2, "metrics"))["ref"] == 1
        await asyncio.sleep(0.5)
        await tab1.send(activity(session_id, "idle", ref=2))
        went_idle = await next_event(tab1, "metrics")
        assert went_idle["attention"] == "idle"
        # The learner sends nothing more: the analyzer's clock (1 s here) moves the metrics.
        later = await next_event(tab1, "metrics", timeout=5)
        assert later["ref"] is None
        assert later["attention"] == "idle"
        assert later["focus_score"] < went_idle["focus_score"]
        await asyncio.sleep(1.0)
        await tab2.send(json.dumps({"type": "heartbeat", "session_id": session_id}))
        latest = await next_event(tab1, "metrics")
        while latest["at"] < later["at"] + 0.9:  # skip the clock's ticks before the heartbeat
            latest = await next_event(tab1, "metrics")
        assert latest["focus_score"] < later["focus_score"]
        assert latest["focus_score"] < 70.0  # 0.5 s focused, then idle
        await tab1.close()
        await tab2.close()

    asyncio.run(scenario())


def test_someone_elses_session_is_refused_and_nothing_recorded(base_url: str) -> None:
    owner, intruder = register(base_url), register(base_url)
    session_id = start_session(base_url, owner)["session_id"]

    async def scenario() -> None:
        socket = await open_socket(base_url, intruder["access"])
        await socket.send(activity(session_id, "answer", data={"correct": True}))
        error = await next_event(socket, "error")
        assert error["code"] == "not_found"
        await socket.send("{broken")
        assert (await next_event(socket, "error"))["code"] == "invalid_json"
        await socket.close()

    asyncio.run(scenario())
    time.sleep(0.5)
    with api_for(base_url, owner) as api:
        status = api.get(
            "/api/study/realtime/learning/session_status/", params={"session_id": session_id}
        ).json()
    assert status["live"]["events"] == 0
    assert status["live"]["metrics"]["answers"] == 0
    with api_for(base_url, intruder) as api:
        peek = api.get(
            "/api/study/realtime/learning/session_status/", params={"session_id": session_id}
        )
    assert peek.status_code == 404


def test_a_reconnect_catches_up_and_the_end_is_pushed(base_url: str) -> None:
    account = register(base_url)
    session_id = start_session(base_url, account)["session_id"]

    async def scenario() -> None:
        socket = await open_socket(base_url, account["access"])
        await next_event(socket, "metrics")
        for ref in (1, 2, 3):
            await socket.send(activity(session_id, "note", ref=ref))
        while (await next_event(socket, "metrics"))["ref"] != 3:
            pass
        await socket.close()
        again = await open_socket(base_url, account["access"])
        snapshot = await next_event(again, "metrics")
        assert (snapshot["session_id"], snapshot["notes"]) == (session_id, 3)
        with api_for(base_url, account) as api:
            ended = api.post(
                "/api/study/realtime/learning/end_session/", json={"session_id": session_id}
            )
        assert ended.status_code == 200, ended.text
        assert ended.json()["notes"] == 3
        pushed = await next_event(again, "session_ended")
        assert (pushed["session_id"], pushed["reason"]) == (session_id, "user")
        await again.send(activity(session_id, "note"))  # trusted for a few seconds, then
        await again.close()  # the analyzer drops events of an ended session

    asyncio.run(scenario())


# --- the inactivity sweep (Celery beat's task, run by a real worker) --------------------------


@pytest.fixture(scope="module")
def worker(stack_env: dict[str, str]) -> Iterator[Path]:
    if not HAS_REDIS:
        pytest.skip("a real worker needs the Redis broker (REDIS_URL)")
    with running_worker(stack_env) as log:
        yield log


def test_the_sweep_ends_an_idle_session(base_url: str, worker: Path) -> None:
    account = register(base_url)
    session_id = start_session(base_url, account, "Idle subject")["session_id"]

    async def scenario() -> None:
        socket = await open_socket(base_url, account["access"])
        await next_event(socket, "metrics")
        await asyncio.sleep(IDLE_SECONDS + 0.5)
        current_app.send_task("realtime.sweep_learning_sessions")
        ended = await next_event(socket, "session_ended", timeout=20)
        assert (ended["session_id"], ended["reason"]) == (session_id, "inactive")
        assert ended["report"]["duration_minutes"] == 0.0
        await socket.close()

    asyncio.run(scenario())
    with api_for(base_url, account) as api:
        status = api.get(
            "/api/study/realtime/learning/session_status/", params={"session_id": session_id}
        ).json()
    assert status["status"] == "ended"
    assert status["report"]["end_reason"] == "inactive"
