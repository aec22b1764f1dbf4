"""Health probes and API docs over real HTTP, on a server whose database is unreachable.

Needs no database: it runs with and without DATABASE_URL.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.harness import DEAD_DATABASE_URL, http_client

pytestmark = pytest.mark.e2e


@pytest.fixture
def api(dead_database_server_url: str) -> Iterator[httpx.Client]:
    with http_client(dead_database_server_url) as client:
        yield client


def _assert_no_secrets(text: str) -> None:
    assert DEAD_DATABASE_URL not in text
    assert "e2e-hunter2-secret" not in text
    assert "password" not in text.lower()


def test_alive_answers_while_the_database_is_down(api: httpx.Client) -> None:
    response = api.get("/health/alive/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_is_503_while_the_database_is_down(api: httpx.Client) -> None:
    response = api.get("/health/ready/")
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["status"] == "unavailable"
    _assert_no_secrets(response.text)


def test_full_health_names_the_database_as_unavailable(api: httpx.Client) -> None:
    response = api.get("/health/")
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["status"] == "unavailable"
    assert body["checks"]["cache"]["status"] == "ok"
    assert body["checks"]["channel_layer"]["status"] == "ok"
    _assert_no_secrets(response.text)


def test_schema_is_served(api: httpx.Client) -> None:
    response = api.get("/api/schema/")
    assert response.status_code == 200, response.text
    assert response.text.startswith("openapi: 3")
    assert "/api/auth/login/" in response.text


def test_swagger_ui_and_its_assets_are_served_locally(api: httpx.Client) -> None:
    docs = api.get("/api/docs/")
    assert docs.status_code == 200, docs.text
    assert docs.headers["content-type"].startswith("text/html")
    scripts = re.findall(r'<script src="([^"]+)"', docs.text)
    assert any("swagger-ui-bundle" in src for src in scripts), scripts
    # Offline: every asset comes from this server, none from a CDN.
    assert all(src.startswith("/static/") for src in scripts), scripts
    for src in scripts:
        asset = api.get(src)
        assert asset.status_code == 200, src
        assert "javascript" in asset.headers["content-type"], (src, asset.headers)
        assert len(asset.content) > 1000, src
