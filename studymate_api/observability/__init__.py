"""Observability: a request id in every log line, OpenTelemetry tracing, error reporting.

- `request_id`: the `X-Request-ID` of a request (or a new one) bound to structlog's context,
  returned in the response, carried into Celery tasks and bound for a WebSocket's lifetime.
- `tracing`: OTLP export of Django, Celery, psycopg, Redis and httpx (AI SDK) spans, only when
  `OTEL_EXPORTER_OTLP_ENDPOINT` is set; nothing of OpenTelemetry is imported otherwise. Log
  lines written inside a span then carry its `trace_id` and `span_id`.
- `websocket_tracing`: `ws.connect`, `ws.receive <type>` and `ws.disconnect` spans of the
  realtime consumers (no-ops while tracing is off).
- `error_reporting`: Sentry-protocol error reports, only when `SENTRY_DSN` is set.
"""
