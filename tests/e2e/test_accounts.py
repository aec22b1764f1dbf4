"""Accounts over real HTTP against daphne on its own PostgreSQL database."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.harness import assert_error, http_client

pytestmark = pytest.mark.e2e

PASSWORD = "Correct-horse-42"
PROFILE_FIELDS = {"bio", "grade_level", "timezone", "preferred_language", "learning_goals"}


@pytest.fixture
def api(live_server_url: str) -> Iterator[httpx.Client]:
    with http_client(live_server_url) as client:
        yield client


def _new_account() -> dict[str, str]:
    tag = secrets.token_hex(4)
    return {
        "email": f"learner-{tag}@example.com",
        "username": f"learner_{tag}",
        "password": PASSWORD,
    }


def _bearer(access: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access}"}


def _assert_auth_payload(body: dict[str, Any], email: str) -> None:
    assert {"user", "access", "refresh"} <= set(body)
    assert body["user"]["email"] == email
    assert set(body["user"]["profile"]) >= PROFILE_FIELDS


def test_register_login_profile_refresh_logout(api: httpx.Client) -> None:
    account = _new_account()

    registered = api.post("/api/auth/register/", json=account)
    assert registered.status_code == 201, registered.text
    _assert_auth_payload(registered.json(), account["email"])

    duplicate = api.post("/api/auth/register/", json={**account, "username": "someone_else"})
    assert "email" in assert_error(duplicate, 400, "validation_error")["fields"]
    weak = api.post("/api/auth/register/", json={**_new_account(), "password": "12345678"})
    assert "password" in assert_error(weak, 400, "validation_error")["fields"]

    login = api.post(
        "/api/auth/login/", json={"email": account["email"], "password": account["password"]}
    )
    assert login.status_code == 200, login.text
    _assert_auth_payload(login.json(), account["email"])
    access, refresh = login.json()["access"], login.json()["refresh"]

    assert_error(api.get("/api/auth/profile/"), 401, "not_authenticated")
    profile = api.get("/api/auth/profile/", headers=_bearer(access))
    assert profile.status_code == 200, profile.text
    body = profile.json()
    assert {"id", "email", "username", "first_name", "last_name", "profile"} <= set(body)
    assert set(body["profile"]) >= PROFILE_FIELDS
    assert body["email"] == account["email"]

    changes = {"first_name": "Ada", "profile": {"bio": "Learning Rust", "learning_goals": ["ML"]}}
    patched = api.patch("/api/auth/profile/", json=changes, headers=_bearer(access))
    assert patched.status_code == 200, patched.text
    assert patched.json()["first_name"] == "Ada"
    assert patched.json()["profile"]["bio"] == "Learning Rust"
    again = api.get("/api/auth/profile/", headers=_bearer(access)).json()
    assert again["first_name"] == "Ada"
    assert again["profile"]["learning_goals"] == ["ML"]
    bad_zone = {"profile": {"timezone": "Mars/Olympus"}}
    rejected = api.patch("/api/auth/profile/", json=bad_zone, headers=_bearer(access))
    assert "profile.timezone" in assert_error(rejected, 400, "validation_error")["fields"]

    rotated = api.post("/api/auth/refresh/", json={"refresh": refresh})
    assert rotated.status_code == 200, rotated.text
    assert {"access", "refresh"} <= set(rotated.json())
    new_access, new_refresh = rotated.json()["access"], rotated.json()["refresh"]
    assert new_refresh != refresh
    reused = api.post("/api/auth/refresh/", json={"refresh": refresh})
    assert_error(reused, 401, "authentication_failed")
    assert api.get("/api/auth/profile/", headers=_bearer(new_access)).status_code == 200

    logout = api.post("/api/auth/logout/", json={"refresh": new_refresh})
    assert logout.status_code == 205, logout.text
    after_logout = api.post("/api/auth/refresh/", json={"refresh": new_refresh})
    assert_error(after_logout, 401, "authentication_failed")


def test_wrong_credentials_and_garbage_tokens_use_the_envelope(api: httpx.Client) -> None:
    unknown = {"email": "nobody-here@example.com", "password": PASSWORD}
    assert_error(api.post("/api/auth/login/", json=unknown), 401, "authentication_failed")
    garbage = api.post("/api/auth/refresh/", json={"refresh": "not-a-token"})
    assert_error(garbage, 401, "authentication_failed")
    expired = api.get("/api/auth/profile/", headers=_bearer("not-a-token"))
    assert_error(expired, 401, "authentication_failed")
    malformed = api.post(
        "/api/auth/login/", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert_error(malformed, 400, "parse_error")


def test_five_failures_lock_the_account_even_for_the_right_password(api: httpx.Client) -> None:
    account, bystander = _new_account(), _new_account()
    for each in (account, bystander):
        assert api.post("/api/auth/register/", json=each).status_code == 201
    wrong = {"email": account["email"], "password": "Wrong-password-1"}

    for attempt in range(1, 5):
        failed = api.post("/api/auth/login/", json=wrong)
        assert failed.status_code == 401, f"attempt {attempt}: {failed.text}"
        assert failed.json()["error"]["code"] == "authentication_failed"
    # The failure that reaches the limit already answers with the lock.
    assert_error(api.post("/api/auth/login/", json=wrong), 403, "account_locked")

    right = {"email": account["email"], "password": account["password"]}
    assert_error(api.post("/api/auth/login/", json=right), 403, "account_locked")
    # The lock is per account and address: another learner still signs in from here.
    other = {"email": bystander["email"], "password": bystander["password"]}
    assert api.post("/api/auth/login/", json=other).status_code == 200
