"""A real Celery worker process (Redis broker) with tracing on: a task published while a
request id is bound logs JSON lines carrying that id and the ids of its run span, and exports
that span."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
import structlog

from studymate_api.celery import app
from tests.e2e.harness import DEAD_DATABASE_URL, running_worker, server_env
from tests.observability.test_daphne import wait_for_spans
from tests.standins.otlp_api import OTLPStandin

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="a real worker needs Redis"),
]

TASK = "realtime.sweep_learning_sessions"


def json_lines(log: Path, task_id: str, timeout: float = 30.0) -> list[dict[str, Any]]:
    """The worker's JSON log lines about the task, once its end was logged."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = []
        for raw in log.read_text(errors="replace").splitlines():
            if raw.startswith("{") and task_id in raw:
                lines.append(json.loads(raw))
        if any("succeeded" in line["event"] or "raised" in line["event"] for line in lines):
            return lines
        time.sleep(0.1)
    pytest.fail(f"the worker logged no end of task {task_id}:\n{log.read_text()[-3000:]}")


def test_worker_logs_carry_the_publishers_request_id_and_runs_are_traced() -> None:
    with OTLPStandin() as collector:
        env = server_env(
            DATABASE_URL=DEAD_DATABASE_URL,  # the task fails fast: still logged and traced
            DATABASE_POOL_TIMEOUT="1",  # each connection attempt gives up in a second, not 10
            LOG_FORMAT="json",
            OTEL_EXPORTER_OTLP_ENDPOINT=collector.endpoint,
            OTEL_BSP_SCHEDULE_DELAY="100",
        )
        with running_worker(env) as log:
            with structlog.contextvars.bound_contextvars(request_id="req-worker-1"):
                task_id = app.send_task(TASK).id
            lines = json_lines(log, task_id)
            runs = wait_for_spans(
                collector, "opentelemetry.instrumentation.celery", name=f"run/{TASK}"
            )
    # Receipt is logged before the task starts; every line of its run carries the id.
    run_lines = [line for line in lines if "received" not in line["event"].lower()]
    assert run_lines, lines
    assert {line.get("request_id") for line in run_lines} == {"req-worker-1"}, lines
    (run,) = [span for span in runs if span.name == f"run/{TASK}"]
    assert run.service == "studymate-worker"
    assert run.attributes["celery.task_name"] == TASK
    # Logs and traces join: the run span is current while the task runs and its end is logged.
    assert {line.get("trace_id") for line in run_lines} == {run.trace_id}, lines
    (end,) = [line for line in run_lines if "raised" in line["event"]]
    assert end["span_id"] == run.span_id
    # Receipt is logged before the run span starts: no trace of its own to point to.
    received = [line for line in lines if "received" in line["event"].lower()]
    assert received, lines
    assert all("trace_id" not in line for line in received), received
