"""`/ws/system/monitoring/`: staff only, periodic `system` snapshots; and the snapshot's
arithmetic (request rate, p95 from histogram buckets) with exact numbers."""

from __future__ import annotations

import json
import math
import os

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.conf import settings as django_settings
from django.utils import timezone

from realtime import monitoring
from realtime.models import LearningSession
from realtime.monitoring import HttpSample, SnapshotInputs, StreamLag
from tests.factories import UserFactory
from tests.realtime.room_support import client_for, reset_channel_layers, socket

INF = math.inf
MONITORING = "/ws/system/monitoring/"


# --- pure arithmetic ---------------------------------------------------------------------------


def test_quantile_interpolates_inside_the_bucket_holding_the_rank():
    buckets = [(0.1, 50.0), (0.5, 90.0), (1.0, 100.0), (INF, 100.0)]
    # rank 95 lies in (0.5, 1.0], holding 90..100: halfway.
    assert monitoring.histogram_quantile(0.95, buckets) == pytest.approx(0.75)
    assert monitoring.histogram_quantile(0.5, buckets) == pytest.approx(0.1)
    assert monitoring.histogram_quantile(0.25, buckets) == pytest.approx(0.05)


def test_quantile_in_the_infinite_bucket_is_the_highest_bound_and_none_without_data():
    assert monitoring.histogram_quantile(0.95, [(0.1, 1.0), (INF, 10.0)]) == 0.1
    assert monitoring.histogram_quantile(0.95, [(0.1, 0.0), (INF, 0.0)]) is None
    assert monitoring.histogram_quantile(0.95, []) is None


def test_http_window_counts_only_the_requests_between_the_samples():
    before = HttpSample(
        at=100.0, count=1000.0, buckets=((0.1, 900.0), (1.0, 1000.0), (INF, 1000.0))
    )
    after = HttpSample(
        at=110.0, count=1200.0, buckets=((0.1, 1000.0), (1.0, 1200.0), (INF, 1200.0))
    )
    window = monitoring.http_window(before, after)
    # 200 requests in 10 s; 100 of them <= 0.1 s, the rest in (0.1, 1]: rank 190 -> 0.1 + 0.9*0.9.
    assert window == {
        "requests_per_second": 20.0,
        "p95_latency_ms": 910.0,
        "requests": 200,
        "window_seconds": 10.0,
    }


def test_http_window_after_a_counter_reset_starts_from_zero():
    before = HttpSample(at=0.0, count=500.0, buckets=((0.1, 500.0), (INF, 500.0)))
    after = HttpSample(at=5.0, count=10.0, buckets=((0.1, 10.0), (INF, 10.0)))
    window = monitoring.http_window(before, after)
    assert window["requests"] == 10
    assert window["requests_per_second"] == 2.0
    assert window["p95_latency_ms"] == 95.0


def test_the_snapshot_holds_every_figure():
    inputs = SnapshotInputs(
        now=1_800_000_000.0,
        http=HttpSample(at=60.0, count=30.0, buckets=((0.05, 30.0), (INF, 30.0))),
        sockets_by_route={"study_room": 4, "monitoring": 1},
        active_sessions=3,
        celery_queues={"celery": 7},
        streams=[
            StreamLag("learning.activity", length=50, lag=5, pending=2),
            StreamLag("other", length=1, lag=1, pending=0),
        ],
        cpu_percent=12.5,
        memory_percent=40.0,
        process={"pid": 1},
    )
    snapshot = monitoring.build_snapshot(inputs, HttpSample(at=0.0, count=0.0, buckets=()))
    assert snapshot["type"] == "system"
    assert snapshot["generated_at"] == "2027-01-15T08:00:00+00:00"
    assert snapshot["active_sessions"] == 3
    assert snapshot["open_sockets"] == {"total": 5, "by_route": {"monitoring": 1, "study_room": 4}}
    assert snapshot["http"]["requests_per_second"] == 0.5
    assert snapshot["http"]["p95_latency_ms"] == 47.5
    assert snapshot["celery_queues"] == {"celery": 7}
    assert snapshot["stream_lag"] == 6
    assert snapshot["streams"][0] == {
        "stream": "learning.activity",
        "length": 50,
        "lag": 5,
        "pending": 2,
    }
    assert (snapshot["cpu_percent"], snapshot["memory_percent"]) == (12.5, 40.0)


# --- readings -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_http_sample_reads_the_request_histogram(auth_client):
    before = monitoring.http_sample()
    for _ in range(3):
        auth_client.get("/api/study/realtime/rooms/")
    after = monitoring.http_sample()
    assert after.count - before.count == 3
    assert after.buckets[-1][0] == INF
    assert after.buckets[-1][1] == after.count


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="Celery queues are Redis lists")
def test_celery_queue_lengths_are_the_redis_list_lengths():
    import redis

    client = redis.Redis.from_url(django_settings.CELERY_BROKER_URL)
    queue = "celery"
    client.delete(queue)
    client.lpush(queue, "a", "b")
    client.lpush(f"{queue}\x06\x163", "c")
    try:
        assert monitoring.celery_queue_lengths() == {"celery": 3}
    finally:
        client.delete(queue, f"{queue}\x06\x163")


@pytest.mark.skipif(bool(os.environ.get("REDIS_URL")), reason="the embedded configuration")
def test_celery_queue_lengths_are_unknown_when_tasks_run_eagerly():
    assert monitoring.celery_queue_lengths() is None


def test_stream_lags_cover_the_activity_stream():
    lags = monitoring.stream_lags()
    assert lags is not None
    activity = next(lag for lag in lags if lag.stream == "learning.activity")
    assert activity.lag >= 0
    assert activity.length >= 0


# --- the socket -----------------------------------------------------------------------------------


@pytest.fixture
def _fresh_layers():
    reset_channel_layers()
    yield
    reset_channel_layers()


async def _close_code(communicator) -> int:
    while True:
        output = await communicator.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            return int(output["code"])


async def _snapshot(communicator) -> dict:
    output = await communicator.receive_output(timeout=5)
    assert output["type"] == "websocket.send", output
    return dict(json.loads(output["text"]))


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_fresh_layers")
def test_learners_are_refused_with_4403(user):
    async def scenario() -> None:
        communicator = socket(user, MONITORING)
        assert (await communicator.connect())[0]
        assert await _close_code(communicator) == 4403

    async_to_sync(scenario)()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_fresh_layers")
def test_without_a_token_the_monitor_closes_4401():
    async def scenario() -> None:
        communicator = socket(None, MONITORING)
        await communicator.connect()
        assert await _close_code(communicator) == 4401

    async_to_sync(scenario)()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_fresh_layers")
def test_staff_get_a_snapshot_now_and_then_every_interval(settings):
    from study.services import subject_create

    settings.REALTIME_MONITORING_INTERVAL_SECONDS = 1
    staff = UserFactory.create(is_staff=True)
    learner = UserFactory.create()
    subject = subject_create(created_by=learner, name="Chemistry")
    LearningSession.objects.create(user=learner, subject=subject, started_at=timezone.now())
    api = client_for(learner)

    async def scenario() -> None:
        communicator = socket(staff, MONITORING)
        assert (await communicator.connect())[0]
        first = await _snapshot(communicator)
        assert first["type"] == "system"
        expected = {
            "active_sessions",
            "open_sockets",
            "http",
            "celery_queues",
            "stream_lag",
            "streams",
            "cpu_percent",
            "memory_percent",
            "process",
            "generated_at",
        }
        assert expected <= set(first)
        assert first["active_sessions"] == 1
        assert first["open_sockets"]["by_route"].get("monitoring", 0) >= 1
        assert 0 <= first["memory_percent"] <= 100
        assert first["interval_seconds"] == 1

        for _ in range(4):
            await database_sync_to_async(api.get)("/api/study/realtime/rooms/")
        # The requests may straddle a snapshot; the windows add up to exactly them.
        counted = 0
        while counted < 4:
            http = (await _snapshot(communicator))["http"]
            counted += http["requests"]
            if http["requests"]:
                assert http["requests_per_second"] > 0
                assert http["p95_latency_ms"] > 0
        assert counted == 4
        await communicator.send_json_to({"type": "anything"})
        error = await _snapshot(communicator)
        assert (error["type"], error["code"]) == ("error", "unknown_type")
        await communicator.disconnect()

    async_to_sync(scenario)()
