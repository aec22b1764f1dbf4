"""Liveness, readiness and full health, built on django-health-check's checks.

Answers never carry error text from a dependency (it can hold hosts or user names); the logs
have the details.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
from collections.abc import Mapping

from celery import current_app
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from health_check.base import HealthCheck, HealthCheckResult
from health_check.checks import Cache, Database
from health_check.exceptions import ServiceUnavailable, ServiceWarning


@dataclasses.dataclass
class MigrationsApplied(HealthCheck):
    """Ready only once the schema matches the code: a pod must not serve before `migrate`."""

    alias: str = DEFAULT_DB_ALIAS

    def run(self) -> None:
        connection = connections[self.alias]
        try:
            executor = MigrationExecutor(connection)
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        finally:
            connection.close()
        if plan:
            raise ServiceUnavailable(f"{len(plan)} migrations not applied")


@dataclasses.dataclass
class ChannelLayer(HealthCheck):
    """A message sent to a fresh channel comes back: the layer (and Redis behind it) works."""

    timeout: datetime.timedelta = dataclasses.field(
        default=datetime.timedelta(seconds=2), repr=False
    )

    async def run(self) -> None:
        layer = get_channel_layer()
        if layer is None:
            raise ServiceUnavailable("no channel layer configured")
        channel = await layer.new_channel()
        await layer.send(channel, {"type": "health.ping"})
        message = await asyncio.wait_for(layer.receive(channel), self.timeout.total_seconds())
        if message.get("type") != "health.ping":
            raise ServiceUnavailable("channel layer returned another message")


@dataclasses.dataclass
class CeleryBroker(HealthCheck):
    """The broker accepts connections; workers themselves are watched by their own probes."""

    timeout: datetime.timedelta = dataclasses.field(
        default=datetime.timedelta(seconds=2), repr=False
    )

    def run(self) -> None:
        try:
            with current_app.connection_for_write() as connection:
                connection.ensure_connection(
                    max_retries=1, timeout=int(self.timeout.total_seconds())
                )
        except Exception as error:  # kombu raises transport-specific errors
            raise ServiceUnavailable("broker unreachable") from error


def _readiness_checks() -> dict[str, HealthCheck]:
    return {"database": Database(), "migrations": MigrationsApplied()}


def _all_checks() -> dict[str, HealthCheck]:
    checks = _readiness_checks() | {"cache": Cache(), "channel_layer": ChannelLayer()}
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        checks["celery_broker"] = CeleryBroker()
    return checks


async def _run(checks: Mapping[str, HealthCheck]) -> JsonResponse:
    results = await asyncio.gather(*(check.get_result() for check in checks.values()))
    report = {name: _describe(result) for name, result in zip(checks, results, strict=True)}
    healthy = all(entry["status"] != "unavailable" for entry in report.values())
    body = {"status": "ok" if healthy else "unavailable", "checks": report}
    return JsonResponse(body, status=200 if healthy else 503)


def _describe(result: HealthCheckResult) -> dict[str, object]:
    status = "ok"
    if isinstance(result.error, ServiceWarning):
        status = "degraded"
    elif result.error is not None:
        status = "unavailable"
    return {"status": status, "time_ms": round(result.time_taken * 1000, 2)}


@never_cache
def alive(request: HttpRequest) -> JsonResponse:
    """The process answers; no dependency is touched, so a database outage never restarts pods."""
    return JsonResponse({"status": "ok"})


@never_cache
async def ready(request: HttpRequest) -> JsonResponse:
    return await _run(_readiness_checks())


@never_cache
async def health(request: HttpRequest) -> JsonResponse:
    return await _run(_all_checks())
