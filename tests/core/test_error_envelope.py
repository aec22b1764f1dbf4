"""Every error on /api/ comes back as {"error": {"code", "message", ...}}, never HTML."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User

pytestmark = pytest.mark.django_db

LOGIN = "/api/auth/login/"
REGISTER = "/api/auth/register/"


def _envelope(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    return error


def test_malformed_json_is_parse_error(api_client):
    response = api_client.post(LOGIN, data='{"email": ', content_type="application/json")
    _envelope(response, 400, "parse_error")


def test_wrong_content_type_is_415(api_client):
    response = api_client.post(
        LOGIN, data="email=a", content_type="application/x-www-form-urlencoded"
    )
    _envelope(response, 415, "unsupported_media_type")


def test_unknown_api_path_is_json_404(client):
    _envelope(client.get("/api/no/such/thing/"), 404, "not_found")


def test_missing_trailing_slash_is_404_not_redirect(client):
    _envelope(client.post(LOGIN.rstrip("/"), {}), 404, "not_found")


def test_wrong_method_is_405_with_allow_header(api_client):
    response = api_client.get(LOGIN)
    _envelope(response, 405, "method_not_allowed")
    assert "POST" in response["Allow"]


def test_oversized_body_is_413_and_creates_nothing(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = {"email": "big@example.com", "password": "Blue-Lantern-77", "username": "x" * 2000}
    _envelope(api_client.post(REGISTER, body, format="json"), 413, "payload_too_large")
    assert not User.objects.filter(email="big@example.com").exists()


def test_unauthenticated_is_401_with_challenge(api_client):
    response = api_client.get("/api/auth/profile/")
    _envelope(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_throttled_is_429_with_retry_after(api_client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "login": "2/min",
        },
    }
    for _ in range(2):
        assert api_client.post(LOGIN, {"email": "a@b.co", "password": "x"}).status_code == 401
    response = api_client.post(LOGIN, {"email": "a@b.co", "password": "x"})
    _envelope(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= 60


def test_login_throttle_counts_per_address(api_client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "login": "1/min",
        },
    }
    assert api_client.post(LOGIN, {"email": "a@b.co", "password": "x"}).status_code == 401
    other_address = api_client.post(
        LOGIN, {"email": "a@b.co", "password": "x"}, REMOTE_ADDR="10.1.2.3"
    )
    assert other_address.status_code == 401


def test_health_is_never_throttled(client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "1/min", "user": "1/min", "login": "1/min"},
    }
    assert [client.get("/health/alive/").status_code for _ in range(5)] == [200] * 5


@pytest.mark.parametrize("path", ["/api/test/drf-crash/", "/api/test/django-crash/"])
def test_crash_is_json_500_without_details(settings, path):
    settings.ROOT_URLCONF = "tests.core.crash_urls"
    client = Client(raise_request_exception=False)
    response = client.get(path)
    error = _envelope(response, 500, "server_error")
    assert "secret" not in response.content.decode()
    assert "Traceback" not in error["message"]


def test_validation_error_lists_fields(api_client):
    error = _envelope(api_client.post(REGISTER, {}, format="json"), 400, "validation_error")
    assert set(error["fields"]) == {"email", "password", "username"}
    assert all(isinstance(m, list) and m for m in error["fields"].values())
