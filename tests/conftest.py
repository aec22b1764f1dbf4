"""Fixtures for the whole suite: API clients, users, a clean cache per test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.models import User
from studymate_api.ai import credit_hook, set_credit_hook
from tests.factories import DEFAULT_PASSWORD, UserFactory


@pytest.fixture(autouse=True)
def _clean_cache() -> Iterator[None]:
    """Throttle counters and cached values must not leak from one test into the next."""
    _clear_cache()
    yield
    _clear_cache()


def _clear_cache() -> None:
    # django-redis' clear() is FLUSHDB, which would also drop streams and buffered events
    # that live in the same Redis database; delete only the cache's own keys there.
    delete_pattern = getattr(cache, "delete_pattern", None)
    if delete_pattern is not None:
        delete_pattern("*")
    else:
        cache.clear()


@pytest.fixture(autouse=True)
def _keep_credit_hook() -> Iterator[None]:
    """Billing installs the AI gateway's credit hook at start; a test that swaps it must not
    leave the next test free of charge (or charging with a test's hook)."""
    installed = credit_hook()
    yield
    set_credit_hook(installed)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """PBKDF2 at full strength costs ~0.2 s a hash; the suite checks behaviour, not its cost."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def password() -> str:
    return DEFAULT_PASSWORD


@pytest.fixture
def user(db: Any) -> User:
    return UserFactory.create()


@pytest.fixture
def other_user(db: Any) -> User:
    return UserFactory.create()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def login_tokens(client: APIClient, email: str, password: str = DEFAULT_PASSWORD) -> dict[str, Any]:
    response = client.post(
        "/api/auth/login/", {"email": email, "password": password}, format="json"
    )
    assert response.status_code == 200, response.content
    return dict(response.json())


def signed_in_client(user: User) -> APIClient:
    """A client signed in as `user` with a real access token from the login endpoint."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {login_tokens(client, user.email)['access']}")
    return client


@pytest.fixture
def auth_client(user: User) -> APIClient:
    return signed_in_client(user)
