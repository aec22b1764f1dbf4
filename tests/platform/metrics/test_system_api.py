"""GET /api/metrics/system/: staff only; this process, database, cache, Celery, event buffer."""

from __future__ import annotations

import os

import pytest
from django.conf import settings as django_settings

from studymate_api.metrics import track_event
from tests.platform.metrics.conftest import DEAD_REDIS_URL

pytestmark = pytest.mark.django_db

URL = "/api/metrics/system/"


def test_anonymous_is_401(api_client):
    assert api_client.get(URL).json()["error"]["code"] == "not_authenticated"


def test_learner_is_403(learner_client):
    response = learner_client.get(URL)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_report(staff_client, buffer):
    track_event("summary_created")
    track_event("quiz_completed")

    response = staff_client.get(URL)

    assert response.status_code == 200
    body = response.json()
    process = body["process"]
    assert process["pid"] == os.getpid()
    assert process["memory_rss_bytes"] > 0
    assert process["threads"] >= 1
    assert body["database"]["reachable"] is True
    assert body["database"]["latency_ms"] >= 0
    assert body["cache"]["reachable"] is True
    assert body["event_buffer"] == {
        "backend": buffer.backend,
        "reachable": True,
        "size": 2,
        "pending_batches": 0,
    }
    celery = body["celery"]
    if django_settings.CELERY_TASK_ALWAYS_EAGER:
        assert (celery["broker_configured"], celery["queue_length"]) == (False, None)
    else:  # the suite's Redis is the broker
        assert celery["broker_configured"] is True
        assert isinstance(celery["queue_length"], int)


def test_unreachable_buffer_is_reported_not_raised(staff_client, settings):
    settings.METRICS_REDIS_URL = DEAD_REDIS_URL

    body = staff_client.get(URL).json()

    assert body["event_buffer"] == {
        "backend": "redis",
        "reachable": False,
        "size": None,
        "pending_batches": None,
    }
    assert body["database"]["reachable"] is True
