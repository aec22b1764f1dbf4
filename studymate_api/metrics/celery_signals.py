"""Celery task counts and durations from Celery's own signals, for every task of every app.

The receivers run in the process that runs the task (a prefork child, or the caller when eager).
A task whose exception propagates out of an eager call reaches `task_postrun` without a state;
it is counted as FAILURE.
"""

from __future__ import annotations

import os
import time
from typing import Any
from wsgiref.simple_server import WSGIServer

import structlog
from celery.signals import (
    task_failure,
    task_postrun,
    task_prerun,
    worker_init,
    worker_process_shutdown,
)
from django.conf import settings
from prometheus_client import start_http_server
from prometheus_client.multiprocess import mark_process_dead

from .instruments import (
    CELERY_TASK_DURATION,
    CELERY_TASK_FAILURES,
    CELERY_TASKS,
    CELERY_TASKS_RUNNING,
)
from .registry import multiprocess_dir, scrape_registry

logger = structlog.get_logger(__name__)

# Start times by task id; popped at postrun, so it holds only tasks running in this process.
_started: dict[str, tuple[str, float]] = {}


def _task_name(task: Any) -> str:
    return str(getattr(task, "name", None) or "unknown")


@task_prerun.connect
def _on_task_prerun(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    if task_id is not None:
        name = _task_name(task)
        CELERY_TASKS_RUNNING.labels(task=name).inc()
        _started[task_id] = (name, time.perf_counter())


@task_postrun.connect
def _on_task_postrun(
    task_id: str | None = None, task: Any = None, state: str | None = None, **_: Any
) -> None:
    name = _task_name(task)
    final = state or "FAILURE"
    CELERY_TASKS.labels(task=name, state=final).inc()
    started = _started.pop(task_id, None) if task_id is not None else None
    if started is not None:
        CELERY_TASKS_RUNNING.labels(task=started[0]).dec()
        elapsed = time.perf_counter() - started[1]
        CELERY_TASK_DURATION.labels(task=name, state=final).observe(elapsed)


@task_failure.connect
def _on_task_failure(sender: Any = None, exception: BaseException | None = None, **_: Any) -> None:
    kind = type(exception).__name__ if exception is not None else "unknown"
    CELERY_TASK_FAILURES.labels(task=_task_name(sender), exception=kind).inc()


@worker_process_shutdown.connect
def _on_worker_process_shutdown(**_: Any) -> None:
    """A prefork child's `livesum` gauges (running tasks) must stop counting once it exits."""
    if path := multiprocess_dir():
        mark_process_dead(os.getpid(), path)  # type: ignore[no-untyped-call]


@worker_init.connect
def _on_worker_init(**_: Any) -> None:
    port: int = settings.METRICS_WORKER_PORT
    if port:
        start_worker_exporter(port)


def start_worker_exporter(port: int, address: str = "0.0.0.0") -> WSGIServer:  # noqa: S104  # nosec B104
    """Serves this worker's metrics on `port` (0: any free port) from a daemon thread.

    Workers run in their own containers, whose metrics files the web process cannot read. The
    exporter has no authentication: expose the port on the cluster network only. With the
    prefork pool it needs PROMETHEUS_MULTIPROC_DIR, or the children's values stay invisible.
    """
    server, _thread = start_http_server(port, addr=address, registry=scrape_registry())
    logger.info("metrics_worker_exporter_started", port=server.server_address[1])
    return server
