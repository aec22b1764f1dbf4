"""The system snapshot pushed to staff on `/ws/system/monitoring/`.

`collect_inputs()` reads the world (Prometheus registry, Redis, the event stream, psutil, the
database); `build_snapshot()` is a pure function of those readings and the previous HTTP sample,
so the arithmetic (request rate, p95 from histogram buckets) is tested with exact numbers.

Sources:
- open sockets: the `studymate_websocket_connections` gauge (every process's in multiprocess
  mode); HTTP rate and p95: django-prometheus' latency histogram of all requests, as the
  difference between two samples (the first snapshot covers the time since the process started);
- active learning sessions: learning sessions whose status is active (the database);
- Celery queue lengths: LLEN of each queue's Redis lists (kombu keeps one per priority step);
- stream lag: `StreamStatus` of the realtime activity stream and every stream with handlers;
- CPU and memory: psutil, for the machine and for this server process.
"""

from __future__ import annotations

import datetime
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import psutil
import structlog
from django.conf import settings

from studymate_api.metrics.registry import scrape_registry

logger = structlog.get_logger(__name__)

HTTP_HISTOGRAM = "django_http_requests_latency_including_middlewares_seconds"
SOCKETS_GAUGE = "studymate_websocket_connections"
# kombu's Redis transport stores priorities 3, 6 and 9 of a queue in lists of their own.
_PRIORITY_SEPARATOR = "\x06\x16"
_PRIORITY_STEPS = (3, 6, 9)


@dataclass(frozen=True)
class HttpSample:
    """Cumulative counts of the request latency histogram at `at` (monotonic seconds)."""

    at: float
    count: float
    buckets: tuple[tuple[float, float], ...]  # (upper bound, cumulative count), +inf last


@dataclass(frozen=True)
class StreamLag:
    stream: str
    length: int
    lag: int  # entries no consumer group has received yet (the largest over groups)
    pending: int  # received, not yet acknowledged (summed over groups)


@dataclass(frozen=True)
class SnapshotInputs:
    now: float  # epoch seconds
    http: HttpSample
    sockets_by_route: dict[str, int]
    active_sessions: int | None
    celery_queues: dict[str, int] | None
    streams: list[StreamLag] | None
    cpu_percent: float
    memory_percent: float
    process: dict[str, Any] = field(default_factory=dict)


# --- pure arithmetic ----------------------------------------------------------------------------


def histogram_quantile(quantile: float, buckets: Sequence[tuple[float, float]]) -> float | None:
    """Prometheus' estimate of a quantile from cumulative buckets: find the bucket holding the
    rank and interpolate linearly inside it. None without observations. A rank in the +Inf
    bucket answers the highest finite bound (as Prometheus does)."""
    if not buckets or buckets[-1][1] <= 0:
        return None
    rank = quantile * buckets[-1][1]
    lower_bound, lower_count = 0.0, 0.0
    for bound, count in buckets:
        if count >= rank:
            if math.isinf(bound):
                return lower_bound
            if count == lower_count:
                return bound
            return lower_bound + (bound - lower_bound) * (rank - lower_count) / (
                count - lower_count
            )
        lower_bound, lower_count = bound, count
    return lower_bound


def http_window(previous: HttpSample, current: HttpSample) -> dict[str, float | None]:
    """Requests per second and p95 latency (ms) of the requests between two samples. A counter
    that went down (a process restarted) starts the window afresh from zero."""
    elapsed = current.at - previous.at
    restarted = current.count < previous.count
    base = {bound: 0.0 for bound, _count in current.buckets}
    if not restarted:
        base.update(dict(previous.buckets))
    delta = tuple((bound, count - base.get(bound, 0.0)) for bound, count in current.buckets)
    requests = current.count - (0.0 if restarted else previous.count)
    p95 = histogram_quantile(0.95, delta)
    return {
        "requests_per_second": round(requests / elapsed, 2) if elapsed > 0 else None,
        "p95_latency_ms": round(p95 * 1000, 1) if p95 is not None else None,
        "requests": int(requests),
        "window_seconds": round(elapsed, 1),
    }


def build_snapshot(inputs: SnapshotInputs, previous_http: HttpSample) -> dict[str, Any]:
    """The `system` event."""
    streams = inputs.streams
    return {
        "type": "system",
        "generated_at": datetime.datetime.fromtimestamp(inputs.now, tz=datetime.UTC).isoformat(),
        "interval_seconds": settings.REALTIME_MONITORING_INTERVAL_SECONDS,
        "active_sessions": inputs.active_sessions,
        "open_sockets": {
            "total": sum(inputs.sockets_by_route.values()),
            "by_route": dict(sorted(inputs.sockets_by_route.items())),
        },
        "http": http_window(previous_http, inputs.http),
        "celery_queues": inputs.celery_queues,
        "stream_lag": None if streams is None else sum(stream.lag for stream in streams),
        "streams": None
        if streams is None
        else [
            {"stream": s.stream, "length": s.length, "lag": s.lag, "pending": s.pending}
            for s in streams
        ],
        "cpu_percent": inputs.cpu_percent,
        "memory_percent": inputs.memory_percent,
        "process": inputs.process,
    }


# --- readings -------------------------------------------------------------------------------------


def http_sample() -> HttpSample:
    """The all-requests latency histogram now, summed over label sets (and processes)."""
    buckets: dict[float, float] = {}
    count = 0.0
    for sample in _samples(HTTP_HISTOGRAM):
        if sample.name.endswith("_bucket"):
            bound = float(sample.labels["le"])
            buckets[bound] = buckets.get(bound, 0.0) + sample.value
        elif sample.name.endswith("_count"):
            count += sample.value
    ordered = tuple(sorted(buckets.items()))
    return HttpSample(at=time.monotonic(), count=count, buckets=ordered)


def sockets_by_route() -> dict[str, int]:
    routes: dict[str, int] = {}
    for sample in _samples(SOCKETS_GAUGE):
        route = sample.labels.get("route", "")
        routes[route] = routes.get(route, 0) + int(sample.value)
    return routes


def _samples(family_name: str) -> Iterable[Any]:
    for family in scrape_registry().collect():
        if family.name == family_name:
            yield from family.samples


def active_session_count() -> int | None:
    from .selectors.sessions import learning_sessions_active_count

    try:
        return learning_sessions_active_count()
    except Exception:  # the database is down: say unknown, keep the other figures
        logger.warning("monitoring_probe_failed", source="sessions", exc_info=True)
        return None


def celery_queue_lengths() -> dict[str, int] | None:
    """LLEN of every queue Celery knows, when the broker is Redis; None otherwise or when it
    cannot be reached."""
    broker = str(settings.CELERY_BROKER_URL)
    if settings.CELERY_TASK_ALWAYS_EAGER or not broker.startswith(("redis://", "rediss://")):
        return None
    import redis

    try:
        client = redis.Redis.from_url(broker, socket_timeout=1, socket_connect_timeout=1)
        with client:
            return {queue: _queue_length(client, queue) for queue in _queue_names()}
    except redis.RedisError:
        logger.warning("monitoring_probe_failed", source="celery", exc_info=True)
        return None


def _queue_names() -> list[str]:
    from studymate_api.celery import app

    names = {str(app.conf.task_default_queue or "celery")}
    names.update(str(queue.name) for queue in (app.conf.task_queues or ()))
    return sorted(names)


def _queue_length(client: Any, queue: str) -> int:
    keys = [queue, *(f"{queue}{_PRIORITY_SEPARATOR}{step}" for step in _PRIORITY_STEPS)]
    with client.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.llen(key)
        return int(sum(pipe.execute()))


def stream_lags() -> list[StreamLag] | None:
    from studymate_api.streaming import get_stream_processor

    from .selectors.streaming import activity_status
    from .streams import activity_streams

    processor = get_stream_processor()
    partitions = set(activity_streams())
    others = dict.fromkeys(s for s, _group in processor.routes() if s not in partitions)
    try:  # the activity stream's partitions as one line
        statuses = [activity_status(), *(processor.status(name) for name in others)]
    except Exception:  # StreamUnavailable and the backend's own errors
        logger.warning("monitoring_probe_failed", source="streams", exc_info=True)
        return None
    return [
        StreamLag(
            stream=status.stream,
            length=status.length,
            lag=max((group.lag for group in status.groups), default=0),
            pending=sum(group.pending for group in status.groups),
        )
        for status in statuses
    ]


_process = psutil.Process()


def process_stats() -> dict[str, Any]:
    with _process.oneshot():
        return {
            "pid": _process.pid,
            "cpu_percent": _process.cpu_percent(interval=None),
            "memory_rss_bytes": _process.memory_info().rss,
        }


def collect_inputs() -> SnapshotInputs:
    """Every reading of a snapshot (blocking I/O: call it from a thread)."""
    return SnapshotInputs(
        now=time.time(),
        http=http_sample(),
        sockets_by_route=sockets_by_route(),
        active_sessions=active_session_count(),
        celery_queues=celery_queue_lengths(),
        streams=stream_lags(),
        # Since the previous call in this process: no blocking sample interval.
        cpu_percent=psutil.cpu_percent(interval=None),
        memory_percent=psutil.virtual_memory().percent,
        process=process_stats(),
    )


def _process_age() -> float:
    return max(0.0, time.time() - _process.create_time())


# The first snapshot of a socket covers the requests since the server process started.
PROCESS_START_SAMPLE = HttpSample(at=time.monotonic() - _process_age(), count=0.0, buckets=())
