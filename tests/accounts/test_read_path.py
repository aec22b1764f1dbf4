"""The cached read path (`accounts.authentication`, `etag_cached(read_ahead=...)`): a cached
subjects page is served from the token's claims with no SQL query, and everything that ends an
access token elsewhere ends it there too, at once."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts import services
from accounts.models import User
from tests.conftest import login_tokens
from tests.factories import DEFAULT_PASSWORD, UserFactory

# Transactions commit: revocations are remembered after commit, as in production.
pytestmark = pytest.mark.django_db(transaction=True)

SUBJECTS = "/api/study/subjects/?page_size=50"
LOGOUT = "/api/auth/logout/"
PASSWORD = "/api/auth/password/change/"


@pytest.fixture(autouse=True)
def _outbox_in_process(celery_in_process: None) -> None:
    """The accounts events reach their subscribers in this process, with or without Redis."""


def client_with(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def warmed(user: User) -> tuple[APIClient, dict[str, str]]:
    """A signed-in client whose subjects page is in the cache."""
    tokens = login_tokens(APIClient(), user.email)
    client = client_with(tokens["access"])
    assert client.get(SUBJECTS).status_code == 200
    return client, tokens


def queries_of(client: APIClient, path: str = SUBJECTS, **headers: Any) -> tuple[int, int]:
    """(status, SQL queries) of one GET."""
    with CaptureQueriesContext(connection) as queries:
        status = client.get(path, **headers).status_code
    return status, len(queries)


def test_a_cached_page_costs_no_query_and_answers_the_same(user):
    UserFactory.create()  # another learner, so the user id in the claims matters
    client, _ = warmed(user)
    first = client.get(SUBJECTS)
    with CaptureQueriesContext(connection) as queries:
        again = client.get(SUBJECTS)
    assert len(queries) == 0
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]
    not_modified = queries_of(client, HTTP_IF_NONE_MATCH=again["ETag"])
    assert not_modified == (304, 0)


def test_a_miss_reads_the_subjects_but_not_the_user(user):
    tokens = login_tokens(APIClient(), user.email)
    with CaptureQueriesContext(connection) as queries:
        assert client_with(tokens["access"]).get(SUBJECTS).status_code == 200
    tables = " ".join(query["sql"] for query in queries)
    assert "study_subject" in tables
    assert "accounts_user" not in tables


def test_a_signed_out_token_is_refused_on_the_cached_page(user):
    client, tokens = warmed(user)
    assert APIClient().post(LOGOUT, {"refresh": tokens["refresh"]}).status_code == 205
    response = client.get(SUBJECTS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    # The same answer as an endpoint that reads the user row gives.
    assert response.json() == client.get("/api/auth/profile/").json()
    # Another sign-in of the same learner still reads the cached page.
    other, _ = warmed(user)
    assert queries_of(other) == (200, 0)


def test_a_password_change_ends_the_old_tokens_on_the_cached_page(user):
    client, _ = warmed(user)
    body = {"old_password": DEFAULT_PASSWORD, "new_password": "Another-Lantern-88"}
    assert client.post(PASSWORD, body).status_code == 204
    assert client.get(SUBJECTS).status_code == 401
    fresh = login_tokens(APIClient(), user.email, "Another-Lantern-88")
    assert client_with(fresh["access"]).get(SUBJECTS).status_code == 200


def test_deactivation_ends_the_tokens_on_the_cached_page(user):
    client, _ = warmed(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    services.user_access_changed(user=user)  # what the admin's change form calls
    assert client.get(SUBJECTS).status_code == 401


def test_a_user_whose_credentials_changed_is_judged_by_the_row_again(user):
    """The record the services leave sends every token of the user down the usual path (the
    user row) while tokens minted before the change can live, even when it was a no-op."""
    client, _ = warmed(user)
    services.user_access_changed(user=user)  # flags unchanged: the tokens still hold
    status, queries = queries_of(client)
    assert status == 200
    assert queries == 1  # the user row


def test_a_bad_query_is_refused_as_before(user):
    client, _ = warmed(user)
    assert client.get("/api/study/subjects/?page=0").status_code == 404
    assert client.get("/api/study/subjects/?is_public=maybe").status_code == 400


def test_a_forged_or_missing_token_is_refused_as_before(user):
    _, tokens = warmed(user)
    header, payload, signature = tokens["access"].split(".")
    forged = client_with(f"{header}.{payload}.{signature[:-2]}xx")
    assert forged.get(SUBJECTS).status_code == 401
    assert APIClient().get(SUBJECTS).status_code == 401
