"""Observability: OTLP tracing and Sentry-protocol error reports, each off unless configured.

Tracing starts in the process entry points (asgi.py, wsgi.py, celery.py) through
`studymate_api.observability.tracing`, which reads these values; error reporting starts here,
as early as possible, so errors raised while Django starts are reported too.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from .django import DEBUG
from .environment import env, read_int


def _read_url(variable: str, *, schemes: tuple[str, ...]) -> str:
    raw: str = env.str(variable, default="").strip()
    if not raw:
        return ""
    parts = urlsplit(raw)
    if parts.scheme not in schemes or not parts.hostname:
        # The value is not repeated: a DSN or collector URL may hold a key.
        raise ImproperlyConfigured(f"{variable}: expected a {' or '.join(schemes)} URL with a host")
    return raw


def _read_rate(variable: str) -> float:
    raw: str = env.str(variable, default="").strip()
    if not raw:
        return 0.0
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{variable}: expected a number, got {raw!r}") from None
    if not 0.0 <= value <= 1.0:
        raise ImproperlyConfigured(f"{variable}: must be between 0 and 1, got {value}")
    return value


# Empty: no tracing, and nothing of OpenTelemetry is imported.
OTEL_EXPORTER_OTLP_ENDPOINT = _read_url("OTEL_EXPORTER_OTLP_ENDPOINT", schemes=("http", "https"))
# Empty: "studymate-<process>" (web, worker, ...).
OTEL_SERVICE_NAME: str = env.str("OTEL_SERVICE_NAME", default="").strip()

# Liveness of worker, beat and stream (studymate_api.heartbeat): each touches this file from its
# own loop, at most every HEARTBEAT_INTERVAL_SECONDS; the pod's probes read its age. Empty:
# /tmp/studymate-<process>.heartbeat.
HEARTBEAT_FILE: str = env.str("HEARTBEAT_FILE", default="").strip()
HEARTBEAT_INTERVAL_SECONDS = read_int("HEARTBEAT_INTERVAL_SECONDS", default=10, minimum=1)

# Empty: no error reports, and sentry_sdk is not imported.
SENTRY_DSN = _read_url("SENTRY_DSN", schemes=("http", "https"))
SENTRY_ENVIRONMENT: str = env.str(
    "SENTRY_ENVIRONMENT", default="development" if DEBUG else "production"
).strip()
SENTRY_RELEASE: str = env.str("SENTRY_RELEASE", default="").strip()
# 0: errors only, no performance traces (OpenTelemetry does tracing).
SENTRY_TRACES_SAMPLE_RATE = _read_rate("SENTRY_TRACES_SAMPLE_RATE")

if SENTRY_DSN:
    from studymate_api.observability.error_reporting import configure_error_reporting

    configure_error_reporting(
        dsn=SENTRY_DSN,
        environment=SENTRY_ENVIRONMENT,
        release=SENTRY_RELEASE or None,
        traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
    )
