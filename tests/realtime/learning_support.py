"""Shared helpers of the learning session tests: sessions through the services, sockets."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User
from realtime.broadcast import broadcast_on_commit
from realtime.models import LearningSession
from realtime.services.sessions import learning_session_start
from study.models import Subject
from studymate_api.asgi import application
from tests.realtime.asyncapi import CheckedCommunicator

ORIGIN = (b"origin", b"http://localhost")
LEARNING_PATH = "/ws/learning/analytics/"


def make_subject(user: User, name: str = "Biology") -> Subject:
    return Subject.objects.create(name=name, created_by=user)


def start_session(user: User, subject: Subject | None = None) -> LearningSession:
    subject = subject or make_subject(user)
    return learning_session_start(user=user, subject_id=subject.pk)


def access_token(user: User) -> str:
    return str(AccessToken.for_user(user))


def learning_socket(
    user: User | None = None,
    *,
    token: str | None = None,
    headers: list[Any] | None = None,
    validate: bool = True,
) -> WebsocketCommunicator:
    """Every message it receives is checked against the AsyncAPI document (unless `validate`
    is false: for tests that send made-up events through the channel layer)."""
    token = token if token is not None else (access_token(user) if user else None)
    query = f"?token={token}" if token is not None else ""
    return CheckedCommunicator(
        application,
        f"{LEARNING_PATH}{query}",
        headers=[ORIGIN, *(headers or [])],
        validate=validate,
    )


async def broadcast_until_heard(
    socket: WebsocketCommunicator, group: str, event: dict[str, Any], timeout: float = 5.0
) -> dict[str, Any]:
    """Broadcasts `event` to `group` until `socket` has something to read, then reads it. A
    socket joins its groups after the handshake (with Redis, a SUBSCRIBE still in flight when
    `connect()` returns), so one event sent right after connecting may pass before them."""
    send = database_sync_to_async(broadcast_on_commit)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        await send(group, event)
        # receive_nothing, unlike a timed-out receive_output, leaves the consumer running.
        if not await socket.receive_nothing(timeout=0.3) or loop.time() > deadline:
            return await next_event(socket)


async def next_event(
    socket: WebsocketCommunicator, kind: str | None = None, timeout: float = 3.0
) -> dict[str, Any]:
    """The next event (of `kind`, skipping others) the server sent to `socket`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        output = await socket.receive_output(timeout=max(0.01, deadline - loop.time()))
        assert output["type"] == "websocket.send", output
        event = json.loads(output["text"])
        if kind is None or event["type"] == kind:
            return dict(event)


async def close_code(socket: WebsocketCommunicator, timeout: float = 3.0) -> int:
    """Reads until the server closes the socket; its close code."""
    while True:
        output = await socket.receive_output(timeout=timeout)
        if output["type"] == "websocket.close":
            return int(output.get("code", 1000))


async def activity(
    socket: WebsocketCommunicator, session: LearningSession | str, event: str, **extra: Any
) -> None:
    session_id = session if isinstance(session, str) else str(session.pk)
    await socket.send_json_to(
        {"type": "activity", "session_id": session_id, "event": event, **extra}
    )
