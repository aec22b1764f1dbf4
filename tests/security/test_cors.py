"""Cross-origin browsers on REST (django-cors-headers): the origins of CORS_ALLOWED_ORIGINS get
their preflight answered and the headers a web app needs exposed; any other origin gets no CORS
header, so the browser keeps the response from the page. Bad values fail at start."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from rest_framework.test import APIClient

from studymate_api.settings.environment import read_origins
from tests.conftest import login_tokens

pytestmark = pytest.mark.django_db

APP = "https://app.example.com"
LOGIN = "/api/auth/login/"
PROFILE = "/api/auth/profile/"


@pytest.fixture(autouse=True)
def _allowed(settings):
    settings.CORS_ALLOWED_ORIGINS = [APP]


def preflight(origin: str, path: str = LOGIN):
    return Client().options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type, idempotency-key",
    )


def test_a_preflight_from_an_allowed_origin_is_answered():
    response = preflight(APP)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == APP
    assert "POST" in response["Access-Control-Allow-Methods"]
    allowed = {name.strip() for name in response["Access-Control-Allow-Headers"].split(",")}
    assert {
        "authorization",
        "content-type",
        "idempotency-key",
        "if-none-match",
        "last-event-id",
        "x-request-id",
    } <= allowed
    assert int(response["Access-Control-Max-Age"]) > 0
    assert "Access-Control-Allow-Credentials" not in response  # bearer tokens, no cookies


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "http://app.example.com", "https://app.example.com:8443"]
)
def test_a_preflight_from_another_origin_gets_no_cors_header(origin):
    response = preflight(origin)
    assert "Access-Control-Allow-Origin" not in response
    assert "Access-Control-Allow-Headers" not in response


def test_a_response_to_an_allowed_origin_exposes_the_headers_clients_read(user):
    tokens = login_tokens(APIClient(), user.email)
    response = Client().get(
        PROFILE, HTTP_ORIGIN=APP, HTTP_AUTHORIZATION=f"Bearer {tokens['access']}"
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == APP
    names = response["Access-Control-Expose-Headers"].split(",")
    exposed = {name.strip().lower() for name in names}
    assert exposed == {"etag", "location", "retry-after", "idempotent-replayed", "x-request-id"}


def test_an_error_answered_before_the_view_still_carries_cors_headers():
    response = Client().get(PROFILE, HTTP_ORIGIN=APP)
    assert response.status_code == 401
    assert response["Access-Control-Allow-Origin"] == APP  # the web app can read the envelope


def test_pages_outside_the_api_get_no_cors_headers():
    response = Client().get("/admin/login/", HTTP_ORIGIN=APP)
    assert "Access-Control-Allow-Origin" not in response


# --- the variable -----------------------------------------------------------------------------


def test_origins_are_read_normalized(monkeypatch):
    monkeypatch.setenv(
        "CORS_ALLOWED_ORIGINS", " https://App.Example.com/ , http://localhost:5173 ,, "
    )
    assert read_origins("CORS_ALLOWED_ORIGINS") == [
        "https://app.example.com",
        "http://localhost:5173",
    ]
    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", "")
    assert read_origins("CORS_ALLOWED_ORIGINS") == []


@pytest.mark.parametrize(
    "value",
    [
        "*",
        "app.example.com",
        "https://app.example.com/path",
        "https://app.example.com?x=1",
        "ftp://app.example.com",
        "https://user@app.example.com",
        "https://app.example.com:99999",
    ],
)
def test_a_bad_origin_fails_at_start_naming_the_variable(monkeypatch, value):
    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", value)
    with pytest.raises(ImproperlyConfigured, match="CORS_ALLOWED_ORIGINS"):
        read_origins("CORS_ALLOWED_ORIGINS")
