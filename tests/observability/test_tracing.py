"""Tracing for real: a process configured like a deployed one exports OTLP/HTTP protobuf spans
to a collector stand-in; without the endpoint nothing of OpenTelemetry is even imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.standins.openai_api import OpenAIStandin
from tests.standins.otlp_api import OTLPStandin, ReceivedSpan
from tests.standins.together_api import TogetherStandin

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SERVER, CLIENT, PRODUCER, CONSUMER = 2, 3, 4, 5  # OTLP SpanKind values


def run_probe(mode: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "SENTRY_"))}
    database_url = base.get("DATABASE_URL")
    if database_url:
        # The maintenance database always exists; the probe only runs SELECT 1 there.
        base["DATABASE_URL"] = urlunsplit(urlsplit(database_url)._replace(path="/postgres"))
    result = subprocess.run(
        [sys.executable, "-m", "tests.observability.probe", mode],
        cwd=ROOT,
        env={**base, "DEBUG": "true", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def spans_named(spans: list[ReceivedSpan], scope_prefix: str) -> list[ReceivedSpan]:
    return [span for span in spans if span.scope.startswith(scope_prefix)]


@pytest.fixture(scope="module")
def traced_run() -> tuple[list[ReceivedSpan], dict[str, object]]:
    with OTLPStandin() as collector, OpenAIStandin() as openai_api, TogetherStandin() as tog:
        openai_api.enqueue(openai_api.completion("Hello"))
        tog.enqueue(tog.completion("Hello"))
        result = run_probe(
            "trace",
            OTEL_EXPORTER_OTLP_ENDPOINT=collector.endpoint,
            PROBE_OPENAI=openai_api.base_url,
            PROBE_TOGETHER=tog.base_url,
        )
        assert all(
            r.headers["content-type"] == "application/x-protobuf" for r in collector.requests
        )
        printed = [json.loads(line) for line in result.stdout.strip().splitlines()]
        sent = {
            "openai_url": f"{openai_api.base_url}/chat/completions",
            "together_url": f"{tog.base_url}/v1/chat/completions",
            "together_traceparent": tog.last.headers.get("traceparent"),
        }
        return collector.spans, {
            key: value for line in printed for key, value in line.items()
        } | sent


def test_django_request_is_a_server_span_of_the_default_service(traced_run) -> None:
    spans, printed = traced_run
    assert printed["status"] == 401
    assert printed["request_id"] == "probe-1"
    (server,) = spans_named(spans, "opentelemetry.instrumentation.django")
    assert server.kind == SERVER
    assert server.service == "studymate-probe"
    assert server.attributes["http.route"] == "api/study/subjects/"
    assert server.attributes["http.response.status_code"] == 401


def test_ai_sdk_calls_are_client_spans_with_trace_context_sent(traced_run) -> None:
    spans, sent = traced_run
    # Together goes through the OpenAI SDK too: both calls are httpx2 spans, one per stand-in.
    calls = {
        str(span.attributes["url.full"]): span
        for span in spans_named(spans, "studymate_api.observability.httpx2")
    }
    assert sorted(calls) == sorted([sent["openai_url"], sent["together_url"]])
    for span in calls.values():
        assert span.kind == CLIENT
        assert span.name == "POST"
        assert span.attributes["http.response.status_code"] == 200
    together_call = calls[str(sent["together_url"])]
    assert str(sent["together_traceparent"]).split("-")[1] == together_call.trace_id


def test_openai_call_carries_the_traceparent_header() -> None:
    with OTLPStandin() as collector, OpenAIStandin() as openai_api, TogetherStandin() as tog:
        openai_api.enqueue(openai_api.completion("Hello"))
        tog.enqueue(tog.completion("Hello"))
        run_probe(
            "trace",
            OTEL_EXPORTER_OTLP_ENDPOINT=collector.endpoint,
            OTEL_SERVICE_NAME="studymate-custom",
            PROBE_OPENAI=openai_api.base_url,
            PROBE_TOGETHER=tog.base_url,
        )
        traceparent = openai_api.last.headers["traceparent"]
        (openai_call,) = [
            span
            for span in spans_named(collector.spans, "studymate_api.observability.httpx2")
            if str(span.attributes["url.full"]).startswith(openai_api.base_url)
        ]
    assert traceparent.split("-")[1] == openai_call.trace_id
    assert openai_call.service == "studymate-custom"


def test_celery_publish_and_run_are_spans_of_one_trace(traced_run) -> None:
    spans, printed = traced_run
    assert printed["task_request_id"] == "probe-task"
    celery = spans_named(spans, "opentelemetry.instrumentation.celery")
    by_name = {span.name: span for span in celery}
    publish = by_name["apply_async/observability.probe_task"]
    run = by_name["run/observability.probe_task"]
    assert (publish.kind, run.kind) == (PRODUCER, CONSUMER)
    assert publish.trace_id == run.trace_id


@pytest.mark.skipif(not os.environ.get("DATABASE_URL"), reason="psycopg spans need PostgreSQL")
def test_postgresql_query_is_a_span(traced_run) -> None:
    spans, _ = traced_run
    queries = spans_named(spans, "opentelemetry.instrumentation.psycopg")
    select = [span for span in queries if span.attributes.get("db.statement") == "SELECT 1"]
    assert select, [span.name for span in queries]
    assert select[0].attributes["db.system"] == "postgresql"


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="Redis spans need Redis")
def test_redis_command_is_a_span(traced_run) -> None:
    spans, _ = traced_run
    commands = {span.name for span in spans_named(spans, "opentelemetry.instrumentation.redis")}
    assert "SET" in commands or "SETEX" in commands, commands


def test_without_endpoint_nothing_is_imported_or_instrumented() -> None:
    printed = json.loads(run_probe("off").stdout.strip().splitlines()[-1])
    assert printed == {"modules": [], "middleware": [], "patched": []}


def test_with_endpoint_the_django_middleware_is_installed() -> None:
    with OTLPStandin() as collector:
        printed = json.loads(
            run_probe("off", OTEL_EXPORTER_OTLP_ENDPOINT=collector.endpoint).stdout.splitlines()[-1]
        )
    assert printed["middleware"] == [
        "opentelemetry.instrumentation.django.middleware.otel_middleware._DjangoMiddleware"
    ]
    assert printed["patched"] == ["psycopg.connect", "httpx2.HTTPTransport.handle_request"]
    assert "opentelemetry.sdk.trace" in printed["modules"]
