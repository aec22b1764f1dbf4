"""Run in a subprocess by the observability tests, as a deployed process would start:

    python -m tests.observability.probe trace   # tracing on: a request, a query, AI SDK calls,
                                                # a Celery task run by a worker thread
    python -m tests.observability.probe error   # error reporting on: a view that raises
    python -m tests.observability.probe off     # prints which instrumentation is loaded
    python -m tests.observability.probe ws      # a JsonConsumer's messages (traced when the
                                                # endpoint is set), its JSON logs on stderr

`PROBE_OPENAI` / `PROBE_TOGETHER`: base URLs of the provider stand-ins the AI SDK calls go to
(Together's through the project's Together provider, as TOGETHER_BASE_URL would be set).
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any
from wsgiref.util import setup_testing_defaults

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studymate_api.settings")


def _trace() -> None:
    from studymate_api.observability.tracing import configure_tracing, force_flush

    assert configure_tracing("probe")
    import django

    django.setup()
    import openai
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client

    response = Client().get("/api/study/subjects/", HTTP_X_REQUEST_ID="probe-1")
    print(json.dumps({"status": response.status_code, "request_id": response["X-Request-ID"]}))
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    cache.set("observability-probe", 1, 5)
    # Both go through the OpenAI SDK and so httpx2.
    messages: list[Any] = [{"role": "user", "content": "hi"}]
    openai.OpenAI(api_key="k", base_url=os.environ["PROBE_OPENAI"]).chat.completions.create(
        model="gpt-4o-mini", messages=messages
    )
    _ask_together(os.environ["PROBE_TOGETHER"])
    _run_a_task()
    assert force_flush()


def _ask_together(base_url: str) -> None:
    from studymate_api.ai.config import RemoteConfig
    from studymate_api.ai.contracts import AITask, ChatMessage, ProviderRequest, TextInput
    from studymate_api.ai.providers.together import TogetherProvider

    config = RemoteConfig(
        name="together",
        api_key="k",
        base_url=base_url,
        model="meta-llama/Llama-3.3-70B-Instruct-Turbo",
        timeout=10.0,
        max_tokens=64,
    )
    request = ProviderRequest(
        task=AITask.SUMMARY_BRIEF,
        system="Summarize.",
        messages=(ChatMessage("user", "hi"),),
        parts=TextInput("hi"),
        max_tokens=64,
    )
    TogetherProvider(config).complete(request)


def _run_a_task() -> None:
    """Publishes a task during a request-like context and lets a worker thread run it."""
    import structlog
    from celery import Celery
    from celery.contrib.testing.worker import start_worker

    app = Celery("probe", broker="memory://", backend="cache+memory://")

    @app.task(name="observability.probe_task")
    def probe_task() -> str | None:
        value = structlog.contextvars.get_contextvars().get("request_id")
        return value if isinstance(value, str) else None

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        with structlog.contextvars.bound_contextvars(request_id="probe-task"):
            result = probe_task.delay()
        print(json.dumps({"task_request_id": result.get(timeout=10)}))


def _error() -> None:
    import sentry_sdk
    from django.test import override_settings

    # The real WSGI entry point: Sentry reads the request's headers at that level.
    from studymate_api.wsgi import application

    environ: dict[str, Any] = {}
    setup_testing_defaults(environ)
    environ.update(
        PATH_INFO="/boom/",
        HTTP_HOST="localhost",
        HTTP_AUTHORIZATION="Bearer probe-secret-token",
        HTTP_COOKIE="sessionid=probe-session-cookie",
        HTTP_X_REQUEST_ID="probe-error-1",
    )
    statuses: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        statuses.append(status)
        return lambda data: None

    with override_settings(ROOT_URLCONF="tests.observability.urls"):
        b"".join(application(environ, start_response))
    print(json.dumps({"status": statuses[0]}))
    sentry_sdk.flush(timeout=5)


def _off() -> None:
    import httpx2
    import psycopg
    from django.conf import settings

    import studymate_api.asgi  # noqa: F401 - the web entry point, as daphne loads it

    # The OpenTelemetry API comes with the Anthropic SDK, and redis-py probes for the metrics
    # SDK on import; the tracing SDK, exporters and instrumentations are what tracing loads.
    active = ("opentelemetry.sdk.trace", "opentelemetry.instrumentation", "opentelemetry.exporter")
    loaded = sorted(name for name in sys.modules if name.startswith((*active, "sentry_sdk")))
    middleware = [name for name in settings.MIDDLEWARE if "opentelemetry" in name]
    patched = [
        name
        for name, function in (
            ("psycopg.connect", psycopg.connect),
            ("httpx2.HTTPTransport.handle_request", httpx2.HTTPTransport.handle_request),
        )
        if hasattr(function, "__wrapped__")
    ]
    print(json.dumps({"modules": loaded, "middleware": middleware, "patched": patched}))


def _ws() -> None:
    """A real `JsonConsumer` subclass driven through its ASGI interface: a message that logs,
    one whose handler raises, one of an unknown type, then a normal close."""
    import asyncio

    from studymate_api.observability.tracing import configure_tracing, force_flush

    traced = configure_tracing("probe")
    import django

    django.setup()
    import structlog
    from channels.testing import WebsocketCommunicator

    from accounts.selectors import AccessGrant
    from realtime.consumers.base import JsonConsumer

    class ProbeUser:
        pk = 7
        is_authenticated = True
        is_staff = False

    class ProbeConsumer(JsonConsumer):
        route = "probe"
        message_types = frozenset({"ping", "boom"})

        async def on_ping(self, message: dict[str, Any]) -> None:
            structlog.get_logger("probe").info("probe_ping")
            await self.send_json({"type": "pong"})

        async def on_boom(self, message: dict[str, Any]) -> None:
            raise RuntimeError("probe handler failure")

    async def scenario() -> list[Any]:
        headers = [(b"x-request-id", b"probe-ws-1")]
        if parent := os.environ.get("PROBE_TRACEPARENT"):
            headers.append((b"traceparent", parent.encode()))
        socket = WebsocketCommunicator(
            ProbeConsumer.as_asgi(), "/ws/probe/?token=probe-secret-token", headers=headers
        )
        socket.scope["user"] = ProbeUser()
        # What JWTAuthMiddleware would put beside the user: a token good for an hour.
        socket.scope["access_grant"] = AccessGrant(
            user=ProbeUser(),  # type: ignore[arg-type]
            expires_at=int(time.time()) + 3600,
            sid=None,
            password_claim=None,
        )
        connected, _ = await socket.connect()
        assert connected
        events = []
        for message in (
            {"type": "ping", "note": "probe-body-text"},
            {"type": "boom"},
            {"type": "nope"},
        ):
            await socket.send_json_to(message)
            events.append(await socket.receive_json_from(timeout=5))
        await socket.disconnect(code=1000)
        return events

    print(json.dumps({"events": asyncio.run(scenario())}))
    if traced:
        assert force_flush()


if __name__ == "__main__":
    {"trace": _trace, "error": _error, "off": _off, "ws": _ws}[sys.argv[1]]()
