"""/metrics/: Prometheus text format with request, database, cache and platform metrics; open
under DEBUG, token- or staff-protected otherwise."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.test import APIClient

from studymate_api.metrics import (
    record_ai_call,
    track_event,
    websocket_connected,
    websocket_disconnected,
)
from tests.conftest import signed_in_client
from tests.platform.metrics.conftest import SCRAPE_TOKEN, parse_samples, sample

pytestmark = pytest.mark.django_db


def test_open_under_debug_and_parses_with_request_metrics(settings, api_client):
    settings.DEBUG = True
    assert api_client.get("/health/alive/").status_code == 200

    response = api_client.get("/metrics/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    samples = parse_samples(response.content.decode())
    view = {"view": "health-alive", "method": "GET"}
    assert (
        sample(
            samples,
            "django_http_requests_total_by_view_transport_method_total",
            transport="http",
            **view,
        )
        >= 1
    )
    assert (
        sample(
            samples, "django_http_responses_total_by_status_view_method_total", status="200", **view
        )
        >= 1
    )
    assert sample(samples, "django_http_requests_latency_seconds_by_view_method_count", **view) >= 1


def test_database_and_cache_metrics_after_an_api_request(scrape, auth_client):
    before = scrape()
    assert auth_client.get("/api/auth/profile/").status_code == 200
    after = scrape()

    db = {"alias": "default", "vendor": before_vendor(after)}
    assert sample(after, "django_db_execute_total", **db) > sample(
        before, "django_db_execute_total", **db
    )
    cache_gets = [v for (name, _), v in after.items() if name == "django_cache_get_total"]
    assert sum(cache_gets) > 0  # throttling reads the cache on every request


def before_vendor(samples) -> str:
    vendors = {
        dict(labels)["vendor"] for name, labels in samples if name == "django_db_execute_total"
    }
    assert len(vendors) == 1, vendors
    return vendors.pop()


def test_prometheus_default_path_without_slash(scrape, api_client):
    response = api_client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {SCRAPE_TOKEN}")
    assert response.status_code == 200
    assert list(text_string_to_metric_families(response.content.decode()))


def test_openmetrics_when_the_scraper_asks_for_it(scrape, api_client):
    response = api_client.get(
        "/metrics/",
        HTTP_AUTHORIZATION=f"Bearer {SCRAPE_TOKEN}",
        HTTP_ACCEPT="application/openmetrics-text; version=1.0.0",
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/openmetrics-text")
    assert response.content.decode().rstrip().endswith("# EOF")


# --- access in production ----------------------------------------------------------------------


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.METRICS_TOKEN = "a-long-random-metrics-token-0123456789abcdef"
    return settings


def _error(response):
    assert response["Content-Type"].startswith("application/json")
    return response.json()["error"]["code"]


def test_production_refuses_anonymous_scrapes(production, api_client):
    response = api_client.get("/metrics/")
    assert response.status_code == 401
    assert _error(response) == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    ["Bearer wrong-token", "Bearer a-long-random-metrics-token-0123456789abcdeX", "Basic abc"],
)
def test_production_refuses_a_wrong_token(production, api_client, header):
    response = api_client.get("/metrics/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert _error(response) in {"authentication_failed", "not_authenticated"}


def test_production_accepts_the_metrics_token(production, api_client):
    response = api_client.get("/metrics/", HTTP_AUTHORIZATION=f"Bearer {production.METRICS_TOKEN}")
    assert response.status_code == 200
    assert list(text_string_to_metric_families(response.content.decode()))


def test_production_without_a_token_configured_accepts_no_bearer_guess(production, api_client):
    production.METRICS_TOKEN = ""
    assert api_client.get("/metrics/", HTTP_AUTHORIZATION="Bearer ").status_code == 401
    assert api_client.get("/metrics/", HTTP_AUTHORIZATION="Bearer x").status_code == 401


def test_production_staff_jwt_is_accepted_and_learner_jwt_refused(production, user, staff_user):
    learner = signed_in_client(user).get("/metrics/")
    assert learner.status_code == 403
    assert _error(learner) == "permission_denied"
    assert signed_in_client(staff_user).get("/metrics/").status_code == 200


# --- platform instruments -----------------------------------------------------------------------


def test_websocket_connections_gauge(scrape):
    before = scrape()
    websocket_connected("study_room")
    websocket_connected("study_room")
    websocket_connected("learning_analytics")
    websocket_disconnected("study_room")
    after = scrape()

    def delta(name, route):
        return sample(after, name, route=route) - sample(before, name, route=route)

    assert delta("studymate_websocket_connections", "study_room") == 1
    assert delta("studymate_websocket_connections", "learning_analytics") == 1
    assert delta("studymate_websocket_connections_opened_total", "study_room") == 2
    websocket_disconnected("learning_analytics")


def test_ai_call_metrics(scrape):
    before = scrape()
    record_ai_call("openai", "gpt-4o-mini", 120, 30, 0.0021, 0.8, "success")
    record_ai_call("openai", "gpt-4o-mini", 50, 0, 0, 5.0, "timeout")
    after = scrape()
    labels = {"provider": "openai", "model": "gpt-4o-mini"}

    def delta(name, **extra):
        return sample(after, name, **labels, **extra) - sample(before, name, **labels, **extra)

    assert delta("studymate_ai_calls_total", outcome="success") == 1
    assert delta("studymate_ai_calls_total", outcome="timeout") == 1
    assert delta("studymate_ai_call_failures_total") == 1
    assert delta("studymate_ai_tokens_total", kind="prompt") == 170
    assert delta("studymate_ai_tokens_total", kind="completion") == 30
    assert delta("studymate_ai_cost_usd_total") == pytest.approx(0.0021)
    assert delta("studymate_ai_call_duration_seconds_count") == 2


def test_ai_labels_cannot_flood_prometheus(scrape):
    record_ai_call("openai", "model with spaces\nand newline", 1, 1, 0, 0.1, "success")
    assert (
        sample(
            scrape(),
            "studymate_ai_calls_total",
            provider="openai",
            model="other",
            outcome="success",
        )
        >= 1
    )


def test_tracked_events_and_buffer_size(scrape, buffer):
    before = scrape()
    track_event("summary_created", user=None)
    track_event("summary_created")
    after = scrape()
    name = "studymate_events_tracked_total"
    assert (
        sample(after, name, event="summary_created") - sample(before, name, event="summary_created")
        == 2
    )
    assert sample(after, "studymate_event_buffer_size", backend=buffer.backend) == 2


def test_only_get_and_head(settings):
    settings.DEBUG = True
    assert APIClient().post("/metrics/").status_code == 405
