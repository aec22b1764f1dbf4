"""A real Celery worker on the Redis broker runs the platform's tasks."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery import current_app

from tests.e2e.harness import running_worker, server_env

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def worker_log(e2e_database_url: str) -> Iterator[Path]:
    if not os.environ.get("REDIS_URL", "").strip():
        pytest.skip("a real worker needs the Redis broker (REDIS_URL)")
    with running_worker(server_env(DATABASE_URL=e2e_database_url)) as log:
        yield log


def _wait_for(log: Path, needle: str, timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        if needle in text:
            return text
        time.sleep(0.1)
    pytest.fail(f"{needle!r} not in the worker log:\n{log.read_text(errors='replace')[-3000:]}")


def test_worker_runs_the_outbox_sweep_sent_through_the_broker(worker_log: Path) -> None:
    result = current_app.send_task("studymate_api.cqrs.publish_outbox")
    text = _wait_for(worker_log, f"[{result.id}] succeeded")
    assert "publish_outbox" in text
