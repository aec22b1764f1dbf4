"""The staff reports: business metrics from the aggregates, system state of this process."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

import psutil
import structlog
from celery import current_app
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from studymate_api.core.models import AIUsage, DailyActiveUser, DailyEventCount

from .buffer import BufferUnavailable, MemoryEventBuffer, event_buffer
from .flush import flush_events

logger = structlog.get_logger(__name__)

# --- business ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActiveUsers:
    dau: int
    wau: int
    mau: int


@dataclass(frozen=True)
class DayMetrics:
    date: date
    signups: int
    active_users: int
    events: int
    events_per_active_user: float
    event_counts: dict[str, int]


@dataclass(frozen=True)
class AiProviderUsage:
    provider: str
    calls: int
    failures: int
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    cost_usd: Decimal
    average_latency_ms: float | None


@dataclass(frozen=True)
class BusinessReport:
    days: int
    start_date: date
    end_date: date
    active_users: ActiveUsers
    signups_total: int
    event_totals: dict[str, int]
    daily: list[DayMetrics]
    ai_usage: list[AiProviderUsage]
    revenue: Decimal | None = None  # until billing exists


def business_report(*, days: int, today: date | None = None) -> BusinessReport:
    """The `days` UTC days ending with `today`. DAU/WAU/MAU are distinct active users on the
    last 1/7/30 days of the window, whatever its length.

    The embedded default has no beat to flush this process's in-memory buffer, so the report
    flushes it first; with Redis the beat-scheduled flush keeps the aggregates a minute behind.
    """
    if isinstance(event_buffer(), MemoryEventBuffer):
        flush_events()
    end = today or timezone.now().date()
    start = end - timedelta(days=days - 1)
    signups = _signups_by_day(start)
    activity = _activity_by_day(start, end)
    events = _event_counts_by_day(start, end)
    names = sorted(set(settings.METRICS_REPORT_EVENTS) | {n for c in events.values() for n in c})
    daily = [
        _day_metrics(start + timedelta(days=i), names, signups, activity, events)
        for i in range(days)
    ]
    return BusinessReport(
        days=days,
        start_date=start,
        end_date=end,
        active_users=_active_users(end),
        signups_total=sum(d.signups for d in daily),
        event_totals={name: sum(d.event_counts[name] for d in daily) for name in names},
        daily=daily,
        ai_usage=_ai_usage(start, end),
    )


def _day_metrics(
    day: date,
    names: list[str],
    signups: dict[date, int],
    activity: dict[date, tuple[int, int]],
    events: dict[date, dict[str, int]],
) -> DayMetrics:
    users, user_events = activity.get(day, (0, 0))
    counts = events.get(day, {})
    return DayMetrics(
        date=day,
        signups=signups.get(day, 0),
        active_users=users,
        events=sum(counts.values()),
        events_per_active_user=round(user_events / users, 2) if users else 0.0,
        event_counts={name: counts.get(name, 0) for name in names},
    )


def _signups_by_day(start: date) -> dict[date, int]:
    since = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
    rows = (
        get_user_model()
        .objects.filter(date_joined__gte=since)
        .annotate(day=TruncDate("date_joined", tzinfo=UTC))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["day"]: row["n"] for row in rows}


def _activity_by_day(start: date, end: date) -> dict[date, tuple[int, int]]:
    rows = (
        DailyActiveUser.objects.filter(day__range=(start, end))
        .values("day")
        .annotate(users=Count("pk"), events=Sum("event_count"))
        .order_by()
    )
    return {row["day"]: (row["users"], row["events"] or 0) for row in rows}


def _event_counts_by_day(start: date, end: date) -> dict[date, dict[str, int]]:
    counts: dict[date, dict[str, int]] = {}
    rows = DailyEventCount.objects.filter(day__range=(start, end)).values_list(
        "day", "name", "count"
    )
    for day, name, count in rows:
        counts.setdefault(day, {})[name] = count
    return counts


def _active_users(end: date) -> ActiveUsers:
    distinct = DailyActiveUser.objects.filter(day__range=(end - timedelta(days=29), end)).aggregate(
        dau=Count("user_id", distinct=True, filter=Q(day=end)),
        wau=Count("user_id", distinct=True, filter=Q(day__gte=end - timedelta(days=6))),
        mau=Count("user_id", distinct=True),
    )
    return ActiveUsers(dau=distinct["dau"], wau=distinct["wau"], mau=distinct["mau"])


def _ai_usage(start: date, end: date) -> list[AiProviderUsage]:
    """From the AI usage rows, the one home of AI spend (the credits and the daily limit read
    them too): each row is one call to a provider. A request refused before any provider was
    called (daily limit, credits, open breaker) is not a call."""
    since = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
    until = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    succeeded = (AIUsage.Outcome.SUCCESS, AIUsage.Outcome.FALLBACK)
    rows = (
        AIUsage.objects.filter(created_at__gte=since, created_at__lt=until)
        .exclude(outcome=AIUsage.Outcome.REJECTED)
        .values("provider")
        .annotate(
            calls=Count("id"),
            failures=Count("id", filter=~Q(outcome__in=succeeded)),
            prompt=Sum("prompt_tokens"),
            completion=Sum("completion_tokens"),
            cost=Sum("cost_usd"),
            latency=Sum("latency_ms"),
        )
        .order_by("provider")
    )
    return [_provider_usage(row) for row in rows]


def _provider_usage(row: dict[str, Any]) -> AiProviderUsage:
    calls = int(row["calls"] or 0)
    prompt, completion = int(row["prompt"] or 0), int(row["completion"] or 0)
    return AiProviderUsage(
        provider=row["provider"],
        calls=calls,
        failures=int(row["failures"] or 0),
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=prompt + completion,
        cost_usd=Decimal(row["cost"] or 0),
        average_latency_ms=round(int(row["latency"] or 0) / calls, 1) if calls else None,
    )


# --- system -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcessStats:
    pid: int
    cpu_percent: float
    memory_rss_bytes: int
    memory_percent: float
    threads: int
    uptime_seconds: float


@dataclass(frozen=True)
class Probe:
    backend: str
    reachable: bool
    latency_ms: float | None


@dataclass(frozen=True)
class CeleryStats:
    broker_configured: bool
    eager: bool
    queue: str
    queue_length: int | None


@dataclass(frozen=True)
class BufferStats:
    backend: str
    reachable: bool
    size: int | None
    pending_batches: int | None


@dataclass(frozen=True)
class SystemReport:
    generated_at: datetime
    process: ProcessStats
    database: Probe
    cache: Probe
    celery: CeleryStats
    event_buffer: BufferStats


_process = psutil.Process(os.getpid())


def system_report() -> SystemReport:
    """This process and what it depends on. A dependency that fails is reported unreachable
    (the cause goes to the log, not into the answer)."""
    return SystemReport(
        generated_at=timezone.now(),
        process=_process_stats(),
        database=_probe("database", connections[DEFAULT_DB_ALIAS].vendor, _ping_database),
        cache=_probe("cache", type(cache).__name__, _ping_cache),
        celery=_celery_stats(),
        event_buffer=_buffer_stats(),
    )


def _process_stats() -> ProcessStats:
    with _process.oneshot():
        return ProcessStats(
            pid=_process.pid,
            # Since the previous report in this process (0.0 the first time): no blocking sample.
            cpu_percent=_process.cpu_percent(interval=None),
            memory_rss_bytes=_process.memory_info().rss,
            memory_percent=round(_process.memory_percent(), 2),
            threads=_process.num_threads(),
            uptime_seconds=round(time.time() - _process.create_time(), 1),
        )


def _probe(name: str, backend: str, ping: Callable[[], None]) -> Probe:
    started = time.perf_counter()
    try:
        ping()
    except Exception as error:  # any failure of the dependency means "unreachable"
        logger.warning("system_probe_failed", dependency=name, error=type(error).__name__)
        return Probe(backend=backend, reachable=False, latency_ms=None)
    latency_ms = round((time.perf_counter() - started) * 1000, 2)
    return Probe(backend=backend, reachable=True, latency_ms=latency_ms)


def _ping_database() -> None:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _ping_cache() -> None:
    key, token = "metrics:system-probe", time.time_ns()
    cache.set(key, token, timeout=10)
    if cache.get(key) != token:
        raise RuntimeError("the cache did not return the value just written")


def _celery_stats() -> CeleryStats:
    queue: str = current_app.conf.task_default_queue or "celery"
    eager = bool(settings.CELERY_TASK_ALWAYS_EAGER)
    configured = not eager and not str(settings.CELERY_BROKER_URL).startswith("memory://")
    length = _queue_length(queue) if configured else None
    return CeleryStats(broker_configured=configured, eager=eager, queue=queue, queue_length=length)


def _queue_length(queue: str) -> int | None:
    try:
        with current_app.connection_for_read() as connection:
            connection.ensure_connection(max_retries=1, timeout=2)
            with connection.channel() as channel:
                try:
                    declared = cast(Any, channel).queue_declare(queue=queue, passive=True)
                    return int(declared.message_count)
                except connection.channel_errors:  # no such queue yet: nothing waiting
                    return 0
    except Exception as error:  # kombu raises transport-specific errors
        logger.warning(
            "system_probe_failed", dependency="celery_broker", error=type(error).__name__
        )
        return None


def _buffer_stats() -> BufferStats:
    buffer = event_buffer()
    try:
        size, pending = buffer.size(), len(buffer.pending_batches())
    except BufferUnavailable:
        return BufferStats(backend=buffer.backend, reachable=False, size=None, pending_batches=None)
    return BufferStats(backend=buffer.backend, reachable=True, size=size, pending_batches=pending)
