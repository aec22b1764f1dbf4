"""Fixtures for the security suite: a learner's token and in-process WSGI calls on the test DB."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from rest_framework.test import APIClient

from accounts.models import User
from tests.conftest import login_tokens


@pytest.fixture
def wsgi_keeps_test_connection() -> Iterator[None]:
    """Calling the WSGI app directly fires request_started/finished, whose
    close_old_connections would close the test transaction's connection; Django's own test
    client disconnects it for the same reason."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def bearer_client(user: User) -> APIClient:
    client = APIClient()
    tokens = login_tokens(client, user.email)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}", HTTP_ACCEPT_LANGUAGE="en")
    return client


@pytest.fixture
def learner_token(user: User) -> str:
    return str(login_tokens(APIClient(), user.email)["access"])


def assert_envelope(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content[:500])
    body = response.json()
    assert set(body) == {"error"}, body
    assert {"code", "message"} <= set(body["error"]), body
    if code is not None:
        assert body["error"]["code"] == code, body
    return dict(body)
