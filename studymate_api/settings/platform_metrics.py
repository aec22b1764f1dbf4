"""Settings of studymate_api.metrics: /metrics/ access, the event buffer and its flush."""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from .cache import REDIS_URL
from .environment import env, read_int, read_redis_url

_MIN_TOKEN_LENGTH = 24


def _read_metrics_token() -> str:
    token: str = env.str("METRICS_TOKEN", default="").strip()
    if token and len(token) < _MIN_TOKEN_LENGTH:
        raise ImproperlyConfigured(
            f"METRICS_TOKEN: must be at least {_MIN_TOKEN_LENGTH} characters (a random secret)"
        )
    return token


def _read_multiprocess_dir() -> str:
    """prometheus_client reads the variable itself when imported; this only fails early and
    clearly when it names a directory the process cannot write to."""
    raw: str = env.str("PROMETHEUS_MULTIPROC_DIR", default="").strip()
    if raw and not (Path(raw).is_dir() and os.access(raw, os.W_OK)):
        raise ImproperlyConfigured(f"PROMETHEUS_MULTIPROC_DIR: {raw!r} is not a writable directory")
    return raw


# `Authorization: Bearer <METRICS_TOKEN>` lets a scraper read /metrics/ when DEBUG is off.
METRICS_TOKEN = _read_metrics_token()
PROMETHEUS_MULTIPROC_DIR = _read_multiprocess_dir()
# Celery workers serve their own metrics on this port when set (0: off); see metrics/exporter.
METRICS_WORKER_PORT = read_int("METRICS_WORKER_PORT", default=0)
if METRICS_WORKER_PORT > 65535:
    raise ImproperlyConfigured("METRICS_WORKER_PORT: must be a port number from 0 to 65535")

# The event buffer: a Redis list when a URL is known, this process's memory otherwise. A separate
# METRICS_REDIS_URL keeps buffered events out of a database that `cache.clear()` flushes.
METRICS_REDIS_URL = read_redis_url("METRICS_REDIS_URL") or REDIS_URL
METRICS_REDIS_KEY_PREFIX = "studymate:metrics"
METRICS_BUFFER_MAX_EVENTS = read_int("METRICS_BUFFER_MAX_EVENTS", default=200_000, minimum=1)
METRICS_FLUSH_BATCH_SIZE = read_int("METRICS_FLUSH_BATCH_SIZE", default=1000, minimum=1)
METRICS_FLUSH_MAX_BATCHES = read_int("METRICS_FLUSH_MAX_BATCHES", default=20, minimum=1)
METRICS_FLUSH_INTERVAL_SECONDS = read_int("METRICS_FLUSH_INTERVAL_SECONDS", default=60, minimum=5)
METRICS_FLUSH_TIME_LIMIT = read_int("METRICS_FLUSH_TIME_LIMIT", default=55, minimum=5)
# Markers of applied batches are only read while a batch is still in the buffer (minutes).
METRICS_BATCH_MARKER_RETENTION_DAYS = 7
# Always listed per day in the business report, even on days without any.
METRICS_REPORT_EVENTS = ("summary_created", "quiz_completed")

# Retention (`studymate_api.metrics.purge_aggregates`, hourly): hourly counts are also summed
# into the daily ones and nothing reads them, so 30 days is for whoever looks at a recent hour;
# daily active users feed the business report (365 days at most, each day's MAU 29 more), so
# they are kept at least 395 days.
METRICS_HOURLY_RETENTION_DAYS = read_int("METRICS_HOURLY_RETENTION_DAYS", default=30, minimum=1)
METRICS_ACTIVE_USERS_RETENTION_DAYS = read_int(
    "METRICS_ACTIVE_USERS_RETENTION_DAYS", default=400, minimum=395
)

METRICS_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "metrics-flush-events": {
        "task": "studymate_api.metrics.flush_events",
        "schedule": float(METRICS_FLUSH_INTERVAL_SECONDS),
        # A run still queued when the next is due is dropped instead of piling up.
        "options": {"expires": float(METRICS_FLUSH_INTERVAL_SECONDS)},
    },
    "metrics-purge-aggregates": {
        "task": "studymate_api.metrics.purge_aggregates",
        "schedule": 3600.0,
        "options": {"expires": 3600.0},
    },
}
