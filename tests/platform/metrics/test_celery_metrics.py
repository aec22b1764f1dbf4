"""Celery task counts and durations come from Celery's signals, for real tasks run eagerly."""

from __future__ import annotations

import urllib.request

import pytest
from celery import shared_task

from studymate_api.metrics.celery_signals import start_worker_exporter
from studymate_api.metrics.tasks import flush_events_task
from tests.platform.metrics.conftest import parse_samples, sample

pytestmark = pytest.mark.django_db

FLUSH = "studymate_api.metrics.flush_events"
BROKEN = "tests.platform.metrics.broken_task"


@shared_task(name=BROKEN)
def broken_task() -> None:
    raise ValueError("broken on purpose")


def test_flush_task_run_is_counted_and_timed(scrape, buffer):
    before = scrape()
    result = flush_events_task.apply()
    after = scrape()

    assert result.successful()

    def delta(name, **labels):
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert delta("studymate_celery_tasks_total", task=FLUSH, state="SUCCESS") == 1
    assert delta("studymate_celery_task_duration_seconds_count", task=FLUSH, state="SUCCESS") == 1
    assert sample(after, "studymate_celery_tasks_running", task=FLUSH) == 0


def test_failed_task_is_counted_by_state_and_exception(scrape):
    before = scrape()
    outcome = broken_task.apply(throw=False)
    with pytest.raises(ValueError, match="on purpose"):
        broken_task.apply(throw=True)  # eager propagation: no state reaches task_postrun
    after = scrape()

    assert outcome.failed()
    failures = "studymate_celery_task_failures_total"
    assert (
        sample(after, failures, task=BROKEN, exception="ValueError")
        - sample(before, failures, task=BROKEN, exception="ValueError")
        == 1
    )
    total = "studymate_celery_tasks_total"
    assert (
        sample(after, total, task=BROKEN, state="FAILURE")
        - sample(before, total, task=BROKEN, state="FAILURE")
        == 2
    )
    assert sample(after, "studymate_celery_tasks_running", task=BROKEN) == 0


def test_worker_exporter_serves_the_same_metrics():
    flush_events_task.apply()
    server = start_worker_exporter(0, address="127.0.0.1")
    try:
        port = server.server_address[1]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            samples = parse_samples(response.read().decode())
    finally:
        server.shutdown()
        server.server_close()
    assert sample(samples, "studymate_celery_tasks_total", task=FLUSH, state="SUCCESS") >= 1
