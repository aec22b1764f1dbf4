"""The page at `/` and the old dashboard address."""

from __future__ import annotations

import re

import pytest
from django.test import Client

LINKS = (
    "/api/docs/",
    "/api/redoc/",
    "/api/schema/",
    "/api/asyncapi/",
    "/dashboard/realtime/",
    "/admin/",
    "/health/",
)


@pytest.fixture
def client() -> Client:
    return Client()


def test_the_landing_page_says_what_this_is_and_links_everything(client):
    response = client.get("/", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "StudyMate is the backend of an AI-based personalized learning platform" in html
    assert set(re.findall(r'<a href="([^"]+)"', html)) == set(LINKS)


def test_the_landing_page_follows_the_language(client):
    html = client.get("/").content.decode()  # Korean by default
    assert '<html lang="ko">' in html
    assert "StudyMate는 AI 기반 맞춤형 학습 플랫폼의 백엔드입니다." in html


@pytest.mark.django_db
@pytest.mark.parametrize("path", [link for link in LINKS if link != "/health/"])
def test_every_link_leads_somewhere(client, path):
    # The admin sends a visitor to its login page; the others answer at once.
    assert client.get(path).status_code in (200, 302)


def test_the_landing_page_works_offline_under_a_strict_policy(client):
    response = client.get("/")
    policy = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'none'"
    assert policy["style-src"] == "'self'"
    assert "script-src" not in policy
    html = response.content.decode()
    assert "<script" not in html
    assert "<style" not in html
    assert " style=" not in html
    # Every resource it loads comes from this server.
    for url in re.findall(r'(?:href|src)="([^"]+)"', html):
        assert url.startswith(("/", "data:")), url
    stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)"', html)
    assert stylesheet is not None
    assert client.get(stylesheet.group(1)).status_code == 200


def test_head_is_served_and_writes_are_refused(client):
    assert client.head("/").status_code == 200
    assert client.post("/").status_code == 405


def test_the_old_dashboard_address_redirects_for_good(client):
    response = client.get("/templates/realtime_dashboard.html")
    assert response.status_code in (301, 308)
    assert response["Location"] == "/dashboard/realtime/"
    assert client.get(response["Location"]).status_code == 200
