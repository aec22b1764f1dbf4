"""WebSocket work is traced and its log lines join the traces.

- A real `JsonConsumer` subclass in a process configured like a deployed one (the probe): each
  message is a `ws.receive <type>` span exported to the collector stand-in, a failing handler's
  span is an error with the exception recorded, and the JSON log lines written inside a span
  carry its trace and span ids; with tracing off the same lines have no such keys.
- daphne serving the real learning consumer to a real WebSocket client (PostgreSQL: the user
  must exist): connect, receive and disconnect spans with the socket's attributes, and the
  server's log line about the socket's flood carries the trace id of the span it belongs to.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import time
import uuid
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

from tests.e2e.conftest import e2e_database_url  # noqa: F401 - the fixture, for the daphne test
from tests.e2e.harness import http_client, running_server_with_log, server_env
from tests.observability.test_daphne import wait_for_spans
from tests.observability.test_tracing import run_probe
from tests.standins.otlp_api import OTLPStandin, ReceivedSpan

# Every test runs a probe process or daphne.
pytestmark = pytest.mark.e2e

SCOPE = "studymate_api.observability.websocket"
SERVER, INTERNAL = 2, 1  # OTLP SpanKind values
STATUS_UNSET, STATUS_ERROR = 0, 2
HEX_32 = re.compile(r"^[0-9a-f]{32}$")
HEX_16 = re.compile(r"^[0-9a-f]{16}$")
CLIENT_TRACE, CLIENT_SPAN = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"


def json_log_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def one_line(lines: list[dict[str, Any]], event: str) -> dict[str, Any]:
    (line,) = [line for line in lines if line.get("event") == event]
    return line


def by_name(spans: list[ReceivedSpan]) -> dict[str, ReceivedSpan]:
    named = {span.name: span for span in spans if span.scope == SCOPE}
    assert len(named) == len([span for span in spans if span.scope == SCOPE]), spans
    return named


# --- a consumer in a traced process ------------------------------------------------------------


@pytest.fixture(scope="module")
def probe_run() -> tuple[dict[str, ReceivedSpan], list[dict[str, Any]], dict[str, Any]]:
    with OTLPStandin() as collector:
        result = run_probe(
            "ws",
            LOG_FORMAT="json",
            OTEL_EXPORTER_OTLP_ENDPOINT=collector.endpoint,
            PROBE_TRACEPARENT=f"00-{CLIENT_TRACE}-{CLIENT_SPAN}-01",
        )
        spans = by_name(collector.spans)
    return spans, json_log_lines(result.stderr), json.loads(result.stdout.splitlines()[-1])


def test_each_message_is_a_span_named_after_its_type(probe_run) -> None:
    spans, _, printed = probe_run
    assert [event.get("code") for event in printed["events"]] == [
        None,
        "internal_error",
        "unknown_type",
    ]
    assert set(spans) == {
        "ws.connect",
        "ws.receive ping",
        "ws.receive boom",
        "ws.receive",
        "ws.disconnect",
    }
    ping = spans["ws.receive ping"]
    assert ping.kind == SERVER
    assert ping.status_code == STATUS_UNSET
    assert ping.attributes == {
        "ws.consumer": "ProbeConsumer",
        "ws.route": "probe",
        "url.path": "/ws/probe/",
        "studymate.request_id": "probe-ws-1",
        "enduser.id": "7",
        "ws.message_type": "ping",
    }
    # An unknown type is refused before it names anything: no client text in span names.
    unknown = spans["ws.receive"]
    assert unknown.attributes["ws.error_code"] == "unknown_type"
    assert "ws.message_type" not in unknown.attributes
    assert unknown.status_code == STATUS_UNSET


def test_a_failing_handler_is_an_error_span_with_the_exception(probe_run) -> None:
    spans, _, _ = probe_run
    boom = spans["ws.receive boom"]
    assert boom.status_code == STATUS_ERROR
    assert boom.events == ("exception",)
    assert boom.attributes["ws.error_code"] == "internal_error"


def test_connect_continues_the_clients_trace_and_later_spans_link_to_it(probe_run) -> None:
    spans, _, _ = probe_run
    connect_span = spans["ws.connect"]
    assert (connect_span.trace_id, connect_span.parent_span_id) == (CLIENT_TRACE, CLIENT_SPAN)
    assert connect_span.kind == SERVER
    disconnect = spans["ws.disconnect"]
    assert disconnect.kind == INTERNAL
    assert disconnect.attributes["ws.close_code"] == 1000
    # One short trace per message, each linked to the socket's connect span.
    later = [span for name, span in spans.items() if name != "ws.connect"]
    assert len({span.trace_id for span in later} | {connect_span.trace_id}) == len(spans)
    for span in later:
        assert span.parent_span_id == ""
        assert span.links == ((connect_span.trace_id, connect_span.span_id),)


def test_no_token_and_no_message_body_is_recorded(probe_run) -> None:
    spans, _, _ = probe_run
    recorded = json.dumps([span.attributes for span in spans.values()])
    assert "probe-secret-token" not in recorded
    assert "probe-body-text" not in recorded


def test_log_lines_inside_a_span_carry_its_trace_and_span_ids(probe_run) -> None:
    spans, lines, _ = probe_run
    for event, span_name in [
        ("probe_ping", "ws.receive ping"),
        ("realtime_handler_failed", "ws.receive boom"),
    ]:
        line = one_line(lines, event)
        assert HEX_32.match(line["trace_id"]), line
        assert HEX_16.match(line["span_id"]), line
        assert (line["trace_id"], line["span_id"]) == (
            spans[span_name].trace_id,
            spans[span_name].span_id,
        )
        assert line["request_id"] == "probe-ws-1"


def test_with_tracing_off_log_lines_have_no_trace_ids() -> None:
    result = run_probe("ws", LOG_FORMAT="json")
    lines = json_log_lines(result.stderr)
    for event in ("probe_ping", "realtime_handler_failed"):
        line = one_line(lines, event)
        assert line["request_id"] == "probe-ws-1"
        assert "trace_id" not in line, line
        assert "span_id" not in line, line
    assert all("trace_id" not in line for line in lines), lines


# --- daphne, the real learning consumer, a real client ----------------------------------------


def register(base_url: str) -> dict[str, Any]:
    tag = secrets.token_hex(4)
    account = {
        "email": f"otel-{tag}@example.com",
        "username": f"otel_{tag}",
        "password": "Correct-horse-42",
    }
    with http_client(base_url) as api:
        response = api.post("/api/auth/register/", json=account)
    assert response.status_code == 201, response.text
    body = response.json()
    return {"id": body["user"]["id"], "access": body["access"]}


async def learner_session(base_url: str, token: str, request_id: str) -> int | None:
    """A heartbeat of an unknown session, a message of an unknown type, then a flood until the
    server closes the socket (4429); the close code."""
    url = f"{base_url.replace('http://', 'ws://')}/ws/learning/analytics/?token={token}"
    headers = {"X-Request-ID": request_id}
    origin = Origin(base_url)
    async with connect(url, origin=origin, additional_headers=headers, open_timeout=10) as ws:
        unknown_session = str(uuid.uuid4())  # looked up in the database: not found
        for message in ({"type": "heartbeat", "session_id": unknown_session}, {"type": "nope"}):
            await ws.send(json.dumps(message))
            error = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
            assert error["type"] == "error", error
        try:
            for _ in range(200):
                await ws.send(json.dumps({"type": "heartbeat", "session_id": "x"}))
            while True:
                await asyncio.wait_for(ws.recv(), timeout=5)
        except ConnectionClosed:
            pass
        return ws.close_code


def test_daphne_traces_socket_work_and_its_log_lines_join_the_trace(
    e2e_database_url: str,  # noqa: F811 - the imported fixture
) -> None:
    with OTLPStandin() as collector:
        env = server_env(
            DATABASE_URL=e2e_database_url,
            LOG_FORMAT="json",
            OTEL_EXPORTER_OTLP_ENDPOINT=collector.endpoint,
            OTEL_BSP_SCHEDULE_DELAY="100",
            REALTIME_WS_BURST="2",  # the third frame in a burst is refused: a flood, soon
            REALTIME_WS_RATE_PER_SECOND="1",
        )
        with running_server_with_log(env) as (base_url, log):
            account = register(base_url)
            code = asyncio.run(learner_session(base_url, account["access"], "otel-ws-1"))
            wait_for_spans(collector, SCOPE)
            spans = _wait_for_disconnect(collector)
            lines = json_log_lines(log.read_text(errors="replace"))
    assert code == 4429
    ours = [span for span in spans if span.scope == SCOPE]
    (connected,) = [span for span in ours if span.name == "ws.connect"]
    common = {
        "ws.consumer": "LearningAnalyticsConsumer",
        "ws.route": "learning_analytics",
        "url.path": "/ws/learning/analytics/",
        "studymate.request_id": "otel-ws-1",
        "enduser.id": str(account["id"]),
    }
    assert connected.attributes == common
    assert connected.service == "studymate-web"
    heartbeats = [span for span in ours if span.name == "ws.receive heartbeat"]
    assert heartbeats[0].attributes == {
        **common,
        "ws.message_type": "heartbeat",
        "ws.error_code": "not_found",
    }
    (unknown, *_) = [span for span in ours if span.name == "ws.receive"]
    assert unknown.attributes["ws.error_code"] == "unknown_type"
    refused = [span for span in ours if span.attributes.get("ws.error_code") == "rate_limited"]
    assert len(refused) >= 50  # flood_close_after refused frames in a row close the socket
    (disconnected,) = [span for span in ours if span.name == "ws.disconnect"]
    assert disconnected.attributes["ws.close_code"] == 4429
    assert json.dumps([span.attributes for span in ours]).count(account["access"]) == 0
    # The flood's log line was written inside the span of the frame that closed the socket.
    flood = one_line(lines, "realtime_flood_closed")
    assert flood["request_id"] == "otel-ws-1"
    (closing,) = [span for span in refused if span.trace_id == flood["trace_id"]]
    assert closing.span_id == flood["span_id"]
    # The heartbeat's database query belongs to the heartbeat's trace.
    queries = [s for s in spans if s.scope == "opentelemetry.instrumentation.psycopg"]
    assert {s.trace_id for s in queries} & {s.trace_id for s in heartbeats}


def _wait_for_disconnect(collector: OTLPStandin, timeout: float = 15.0) -> list[ReceivedSpan]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        spans = collector.spans
        if any(span.scope == SCOPE and span.name == "ws.disconnect" for span in spans):
            return spans
        time.sleep(0.1)
    pytest.fail(f"no ws.disconnect span within {timeout} s")
