"""OpenTelemetry tracing, exported over OTLP/HTTP, only when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.

Every process entry point calls `configure_tracing(<process>)` before Django handles anything
(the Django instrumentation adds its middleware to the settings). Without the endpoint nothing
of OpenTelemetry is imported and nothing is patched: tracing costs nothing when it is off.

Instrumented: Django (one server span per request), Celery (publish and run spans, the trace
continuing from the request into the worker), psycopg (one span per query), Redis (cache,
channel layer, broker), and outgoing HTTP: httpx (push and SMS notifications) and httpx2 (the
AI SDK calls: OpenAI, Together through the OpenAI SDK, Anthropic; see `httpx2_tracing`).
The realtime consumers' WebSocket work gets spans of its own (`websocket_tracing`).
The exporter reads the other standard variables itself (`OTEL_EXPORTER_OTLP_HEADERS`,
`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, `OTEL_EXPORTER_OTLP_TIMEOUT`, ...).

Logs and traces join: with tracing on, every log line written while a span is current carries
its `trace_id` and `span_id` (`add_trace_ids`, a structlog processor of `settings.logging`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opentelemetry.trace import Span
    from structlog.typing import EventDict

_lock = threading.Lock()
_configured = False
# `opentelemetry.trace.get_current_span` once tracing is on; None (nothing to look up) before.
_current_span: Callable[[], Span] | None = None


def add_trace_ids(_logger: object, _method: str, event_dict: EventDict) -> EventDict:
    """structlog processor: the current span's W3C ids (32 and 16 lowercase hex digits) in the
    log line, so a log search finds the trace and a trace view finds its lines. Tracing off:
    one check of a module global, no keys added."""
    if _current_span is None:
        return event_dict
    context = _current_span().get_span_context()
    if context.is_valid:
        event_dict.setdefault("trace_id", format(context.trace_id, "032x"))
        event_dict.setdefault("span_id", format(context.span_id, "016x"))
    return event_dict


def tracing_enabled() -> bool:
    from django.conf import settings

    return bool(settings.OTEL_EXPORTER_OTLP_ENDPOINT)


def configure_tracing(process: str) -> bool:
    """Starts tracing for this process (once); False when no endpoint is configured."""
    global _configured, _current_span
    if not tracing_enabled():
        return False
    with _lock:
        if not _configured:
            _install_provider(process)
            _instrument_libraries()
            from opentelemetry.trace import get_current_span

            from .websocket_tracing import enable_websocket_tracing

            enable_websocket_tracing()
            _current_span = get_current_span
            _configured = True
    return True


def force_flush(timeout_millis: int = 5000) -> bool:
    """Exports the spans still buffered (before a process ends, or in a test)."""
    if not _configured:
        return False
    from opentelemetry import trace

    provider = trace.get_tracer_provider()
    flush = getattr(provider, "force_flush", None)
    return bool(flush(timeout_millis)) if flush is not None else False


def _service_name(process: str) -> str:
    from django.conf import settings

    configured: str = settings.OTEL_SERVICE_NAME
    return configured or f"studymate-{process}"


def _install_provider(process: str) -> None:
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: _service_name(process)}))
    # Batched in a background thread: a request never waits for the collector.
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)


def _instrument_libraries() -> None:
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    # The stable HTTP attribute names (url.full, http.response.status_code...), the ones the
    # httpx2 spans use too, unless the deployment chose otherwise. Read when instrumenting.
    os.environ.setdefault("OTEL_SEMCONV_STABILITY_OPT_IN", "http")
    # Health probes and Prometheus scrapes would be most of the spans and say nothing.
    DjangoInstrumentor().instrument(excluded_urls="health/,metrics")
    CeleryInstrumentor().instrument()  # type: ignore[no-untyped-call]
    PsycopgInstrumentor().instrument()
    RedisInstrumentor().instrument()
    HTTPXClientInstrumentor().instrument()
    from .httpx2_tracing import instrument_httpx2

    instrument_httpx2()


def _start_worker_tracing(**_: object) -> None:
    configure_tracing("worker")


def connect_worker_tracing() -> None:
    """Workers start tracing once Django is set up, in the main worker process (solo and
    threads pools) or its prefork children; the exporter's thread restarts after a fork."""
    from celery.signals import worker_init, worker_process_init

    worker_process_init.connect(_start_worker_tracing, weak=False, dispatch_uid="otel_child")
    worker_init.connect(_start_worker_tracing, weak=False, dispatch_uid="otel_worker")
