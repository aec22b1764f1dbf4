"""The request id over the wire: HTTP requests, log lines, Celery tasks and WebSockets."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from asgiref.sync import async_to_sync
from celery import Celery
from celery.contrib.testing.worker import start_worker
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.urls import path

from realtime.auth import JWTAuthMiddleware
from realtime.consumers.base import JsonConsumer
from studymate_api.observability.request_id import LOG_KEY, MAX_LENGTH, current_request_id
from studymate_api.observability.task_context import connect_task_signals
from tests.realtime.learning_support import ORIGIN, access_token, next_event

GENERATED = re.compile(r"^[0-9a-f]{32}$")


@pytest.fixture
def client() -> Client:
    return Client()


def test_a_valid_incoming_id_is_kept_and_returned(client: Client) -> None:
    response = client.get("/health/alive/", HTTP_X_REQUEST_ID="edge-7f3a:01.b_c")
    assert response["X-Request-ID"] == "edge-7f3a:01.b_c"


@pytest.mark.parametrize(
    "raw",
    ["", "   ", "a" * (MAX_LENGTH + 1), "bad id", "x\ny", 'quote"d', "ünïcode", "{json}"],
)
def test_an_unsafe_or_oversized_id_is_replaced_by_a_new_one(client: Client, raw: str) -> None:
    response = client.get("/health/alive/", HTTP_X_REQUEST_ID=raw)
    assert GENERATED.match(response["X-Request-ID"])


def test_without_a_header_every_request_gets_its_own_id(client: Client) -> None:
    first = client.get("/health/alive/")["X-Request-ID"]
    second = client.get("/health/alive/")["X-Request-ID"]
    assert GENERATED.match(first)
    assert GENERATED.match(second)
    assert first != second


@pytest.mark.django_db
def test_error_envelopes_carry_the_id_too(client: Client) -> None:
    response = client.get("/api/no-such-endpoint/", HTTP_X_REQUEST_ID="trace-404")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert response["X-Request-ID"] == "trace-404"


def test_log_lines_of_a_request_carry_its_id_and_it_is_unbound_after(client, settings) -> None:
    settings.ROOT_URLCONF = "tests.observability.urls"
    with structlog.testing.capture_logs(
        processors=[structlog.contextvars.merge_contextvars]
    ) as logs:
        response = client.get("/logged/", HTTP_X_REQUEST_ID="req-logs-1")
    assert response.json() == {LOG_KEY: "req-logs-1"}
    (line,) = [entry for entry in logs if entry["event"] == "probe_logged"]
    assert line[LOG_KEY] == "req-logs-1"
    assert current_request_id() is None


# --- Celery: a real worker thread consuming from a broker ----------------------------------


@pytest.fixture(scope="module")
def worker_app() -> Iterator[Celery]:
    """A worker of its own on an in-memory broker: messages are really published (headers and
    all) and consumed by another thread, whose context starts empty."""
    app = Celery("observability-tests", broker="memory://", backend="cache+memory://")
    app.conf.task_always_eager = False

    @app.task(name="observability.whoami")
    def whoami() -> dict[str, Any]:
        structlog.get_logger("tests.observability").info("probe_task_ran")
        return dict(structlog.contextvars.get_contextvars())

    connect_task_signals()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield app


def test_a_task_published_during_a_request_runs_with_its_id(worker_app: Celery) -> None:
    with structlog.contextvars.bound_contextvars(request_id="req-task-1"):
        result = worker_app.send_task("observability.whoami")
    assert result.get(timeout=10) == {LOG_KEY: "req-task-1"}


def test_a_task_published_outside_a_request_has_no_id_and_none_leaks(worker_app: Celery) -> None:
    with structlog.contextvars.bound_contextvars(request_id="req-task-2"):
        assert worker_app.send_task("observability.whoami").get(timeout=10) == {
            LOG_KEY: "req-task-2"
        }
    # The worker unbound the previous task's id: the next one starts clean.
    assert worker_app.send_task("observability.whoami").get(timeout=10) == {}


# --- WebSockets: the handshake's id for the connection's lifetime --------------------------


class WhoAmIConsumer(JsonConsumer):
    route = "observability_probe"
    message_types = frozenset({"whoami"})

    async def on_whoami(self, message: dict[str, Any]) -> None:
        structlog.get_logger("tests.observability").info("probe_ws_event")
        await self.send_json({"type": "whoami", "request_id": current_request_id()})


def probe_socket(user: Any, headers: list[tuple[bytes, bytes]]) -> WebsocketCommunicator:
    application = JWTAuthMiddleware(URLRouter([path("ws/probe/", WhoAmIConsumer.as_asgi())]))
    return WebsocketCommunicator(
        application, f"/ws/probe/?token={access_token(user)}", headers=[ORIGIN, *headers]
    )


def ask_whoami(socket: WebsocketCommunicator, times: int = 2) -> list[Any]:
    async def scenario() -> list[Any]:
        accepted, _ = await socket.connect()
        assert accepted
        answers = []
        for _ in range(times):
            await socket.send_json_to({"type": "whoami"})
            answers.append((await next_event(socket, "whoami"))["request_id"])
        await socket.disconnect()
        return answers

    return async_to_sync(scenario)()


@pytest.mark.django_db(transaction=True)
def test_socket_events_carry_the_handshake_id(user) -> None:
    socket = probe_socket(user, [(b"x-request-id", b"ws-handshake-1")])
    with structlog.testing.capture_logs(
        processors=[structlog.contextvars.merge_contextvars]
    ) as logs:
        assert ask_whoami(socket) == ["ws-handshake-1", "ws-handshake-1"]
    lines = [entry for entry in logs if entry["event"] == "probe_ws_event"]
    assert [line[LOG_KEY] for line in lines] == ["ws-handshake-1", "ws-handshake-1"]


@pytest.mark.django_db(transaction=True)
def test_each_socket_without_a_header_gets_an_id_of_its_own(user) -> None:
    first = ask_whoami(probe_socket(user, []))
    second = ask_whoami(probe_socket(user, [(b"x-request-id", b"bad id\n")]))
    assert first[0] == first[1]
    assert second[0] == second[1]
    assert GENERATED.match(first[0])
    assert GENERATED.match(second[0])
    assert first[0] != second[0]
    assert current_request_id() is None
