"""Fixtures for the whole suite: API clients, users, a clean cache per test; and under
pytest-xdist (`make test`) a Redis database of its own for each worker."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from notifications.migrations._seed_templates import ALL_TEMPLATES
from notifications.models import NotificationTemplate
from studymate_api.ai import credits_port
from studymate_api.celery import app as celery_app
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.mailserver import mailbox as mailbox  # the SMTP server fixture, for every test

# Redis URLs that tests and the processes they start read from the environment.
_REDIS_URL_VARIABLES = ("REDIS_URL", "METRICS_REDIS_URL")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_setupnodes(config: pytest.Config, specs: list[Any]) -> None:
    """Worker gwN runs with every Redis URL moved N databases up (redis://host/10 -> /10, /11,
    ...), so throttles, breakers, cache tags, streams, Celery queues and metrics buffers never
    meet another worker's. The SQLite file and the PostgreSQL test database already get a
    `_gwN` suffix from pytest-django.

    It has to happen here, in the controller before the workers start: pytest-django loads the
    settings (which read REDIS_URL) before any conftest of a worker is imported. The worker's
    environment then holds its own URL, so processes a test starts inherit it too."""
    for index, spec in enumerate(specs):
        for variable in _REDIS_URL_VARIABLES:
            if url := os.environ.get(variable, "").strip():
                spec.env[variable] = redis_url_for_worker(url, index)


def redis_url_for_worker(url: str, index: int) -> str:
    """The URL with its database number raised by `index`: the `?db=` query when there is one
    (it wins over the path in redis-py) or the URL is a unix socket's, else the path."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    given = [value for name, value in query if name == "db"]
    if given or parts.scheme == "unix":
        database = int(given[0] or 0) if given else 0
        query = [(name, value) for name, value in query if name != "db"]
        query.append(("db", str(database + index)))
        # Not urlunsplit: it turns unix:///path into unix:/path, which redis-py refuses.
        return f"{url.partition('?')[0]}?{urlencode(query)}"
    database = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{database + index}"))


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    """The test databases are built without migrations, so the data migrations' rows are
    added here: every test that sends a notification finds its template, as in production
    (without one, sending is skipped with a log line and a broken integration goes unseen)."""
    with django_db_blocker.unblock():
        seed_notification_templates()


@pytest.fixture(autouse=True)
def _notification_templates_after_flush(request: pytest.FixtureRequest) -> None:
    """Transactional tests empty every table when they end: seed again for the ones that
    follow on the same database."""
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if transactional:
        request.getfixturevalue("transactional_db")
        seed_notification_templates()


def seed_notification_templates() -> None:
    """What migrations notifications/0002 and 0003 seed, unless the rows are there already."""
    NotificationTemplate.objects.bulk_create(
        (NotificationTemplate(**fields) for fields in ALL_TEMPLATES), ignore_conflicts=True
    )


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
    installed = credits_port.get()
    yield
    credits_port.provide(installed)


@pytest.fixture
def local_ai_charged(settings: Any) -> None:
    """The offline `local` provider, which answers every test's AI requests, costs credits as a
    hosted model does (BILLING_LOCAL_PROVIDER_FREE off): for tests of charging and refunds."""
    settings.BILLING_LOCAL_PROVIDER_FREE = False


@pytest.fixture
def celery_in_process() -> Iterator[None]:
    """Celery tasks run in the test's process, also when REDIS_URL configures a real broker
    (the end-to-end tests run real workers)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """PBKDF2 at full strength costs ~0.2 s a hash; the suite checks behaviour, not its cost."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _operator_language_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    """Operator commands speak the language LANGUAGE asks for (studymate_api.core.commands):
    the tests' commands speak English whatever the shell running pytest says, unless a test
    sets it."""
    monkeypatch.delenv("LANGUAGE", raising=False)


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


def admin_signed_in(client: Client, user: User) -> Client:
    """`client` in the admin as `user`, past the admin's second factor: `user` gets TOTP and the
    session records it, as the admin's login does (accounts.admin_mfa)."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from accounts.admin_mfa import ADMIN_MFA_SESSION_KEY

    totp = Authenticator.objects.filter(user=user, type="totp").first()
    totp = totp or TOTP.activate(user, generate_totp_secret()).instance
    client.force_login(user)
    session = client.session
    session[ADMIN_MFA_SESSION_KEY] = totp.pk
    session.save()
    return client


@pytest.fixture
def admin_client(admin_user: User) -> Client:
    """pytest-django's `admin_client`, past the admin's second factor."""
    return admin_signed_in(Client(), admin_user)
