"""Fixtures for the metrics tests: both event buffers, staff and learner clients, scraping."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.test import APIClient

from studymate_api.metrics.buffer import EventBuffer, event_buffer
from tests.conftest import signed_in_client
from tests.factories import UserFactory

SUITE_REDIS_URL = os.environ.get("REDIS_URL", "").strip()
# A port nothing listens on: Redis "down" without stopping the suite's Redis.
DEAD_REDIS_URL = "redis://127.0.0.1:1/0"


@pytest.fixture(
    params=[
        "memory",
        pytest.param(
            "redis", marks=pytest.mark.skipif(not SUITE_REDIS_URL, reason="REDIS_URL not set")
        ),
    ]
)
def buffer(request, settings) -> Iterator[EventBuffer]:
    """The event buffer under test, empty: this process's memory, and Redis when the suite has
    one (REDIS_URL)."""
    settings.METRICS_REDIS_URL = SUITE_REDIS_URL if request.param == "redis" else None
    settings.METRICS_REDIS_KEY_PREFIX = "studymate-test:metrics"
    current = event_buffer()
    assert current.backend == request.param
    current.clear()
    yield current
    current.clear()


@pytest.fixture(autouse=True)
def _empty_default_buffer() -> Iterator[None]:
    """The buffer of the suite's own settings, empty before and after each test (kept, not
    looked up again at teardown: a test may still have other settings in place then)."""
    default = event_buffer()
    default.clear()
    yield
    default.clear()


@pytest.fixture
def staff_user(db):
    return UserFactory.create(is_staff=True)


@pytest.fixture
def staff_client(staff_user) -> APIClient:
    return signed_in_client(staff_user)


@pytest.fixture
def learner_client(user) -> APIClient:
    return signed_in_client(user)


def parse_samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of an exposition, keyed by sample name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def sample(samples, name: str, **labels: str) -> float:
    """A sample's value, 0.0 when absent (a labelled series appears once first used)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


SCRAPE_TOKEN = "scrape-token-for-the-test-suite-0123456789"


@pytest.fixture
def scrape(settings):
    """Reads /metrics/ over HTTP as the Prometheus scraper does (with the metrics token)."""
    settings.METRICS_TOKEN = SCRAPE_TOKEN
    client = APIClient()

    def read():
        response = client.get("/metrics/", HTTP_AUTHORIZATION=f"Bearer {SCRAPE_TOKEN}")
        assert response.status_code == 200, response.content
        return parse_samples(response.content.decode())

    return read
