"""Register, login, refresh, logout over the HTTP API, as API.md's Accounts table says."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import LoginHistory, User
from tests.conftest import admin_signed_in, login_tokens
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

REGISTER = "/api/auth/register/"
LOGIN = "/api/auth/login/"
REFRESH = "/api/auth/refresh/"
LOGOUT = "/api/auth/logout/"
PROFILE = "/api/auth/profile/"

STRONG = "Blue-Lantern-77"


def _register(client: APIClient, **overrides: str):
    body = {"email": "new@example.com", "password": STRONG, "username": "newbie"} | overrides
    return client.post(REGISTER, body, format="json")


def _error(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]


class TestRegister:
    def test_returns_user_and_working_tokens(self, api_client):
        response = _register(api_client, first_name="Ji", email="New@Example.com")
        assert response.status_code == 201
        body = response.json()
        assert body["user"]["email"] == "new@example.com"
        assert body["user"]["first_name"] == "Ji"
        assert body["user"]["profile"]["timezone"] == "Asia/Seoul"
        assert "password" not in body["user"]
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
        assert api_client.get(PROFILE).json()["username"] == "newbie"

    def test_duplicate_email_in_any_case_is_a_field_error(self, api_client, user):
        response = _register(api_client, email=user.email.upper())
        assert response.status_code == 400
        error = _error(response)
        assert error["code"] == "validation_error"
        assert list(error["fields"]) == ["email"]
        assert User.objects.filter(email=user.email).count() == 1

    def test_duplicate_username_is_a_field_error(self, api_client, user):
        response = _register(api_client, username=user.username)
        assert response.status_code == 400
        assert "username" in _error(response)["fields"]

    @pytest.mark.parametrize("weak", ["short1!", "password123", "12345678901", "newbie123"])
    def test_weak_password_is_refused_and_nothing_is_created(self, api_client, weak):
        response = _register(api_client, password=weak)
        assert response.status_code == 400
        assert list(_error(response)["fields"]) == ["password"]
        assert not User.objects.filter(email="new@example.com").exists()

    def test_missing_and_malformed_fields(self, api_client):
        response = api_client.post(REGISTER, {"email": "not-an-email"}, format="json")
        assert response.status_code == 400
        assert set(_error(response)["fields"]) == {"email", "password", "username"}

    def test_privileged_fields_are_refused(self, api_client):
        response = _register(api_client, is_staff="true")
        assert response.status_code == 400
        assert list(_error(response)["fields"]) == ["is_staff"]
        assert not User.objects.filter(email="new@example.com").exists()


class TestLogin:
    def test_success_returns_pair_and_records_history(self, api_client, user, password):
        response = api_client.post(
            LOGIN, {"email": user.email, "password": password}, HTTP_USER_AGENT="pytest-agent"
        )
        assert response.status_code == 200
        assert set(response.json()) == {"user", "access", "refresh"}
        entry = LoginHistory.objects.get(user=user)
        assert entry.success
        assert entry.user_agent == "pytest-agent"
        assert entry.ip_address == "127.0.0.1"
        user.refresh_from_db()
        assert user.last_login is not None

    def test_wrong_password_is_401_authentication_failed(self, api_client, user):
        response = api_client.post(LOGIN, {"email": user.email, "password": "nope-nope"})
        assert response.status_code == 401
        assert _error(response)["code"] == "authentication_failed"
        assert not LoginHistory.objects.get(user=user).success

    def test_unknown_email_is_recorded_without_user(self, api_client):
        response = api_client.post(LOGIN, {"email": "ghost@example.com", "password": "x" * 10})
        assert response.status_code == 401
        entry = LoginHistory.objects.get()
        assert entry.user is None
        assert entry.email == "ghost@example.com"

    def test_email_is_case_insensitive(self, api_client, user, password):
        response = api_client.post(LOGIN, {"email": user.email.upper(), "password": password})
        assert response.status_code == 200

    def test_inactive_user_cannot_log_in(self, api_client, password):
        inactive = UserFactory.create(is_active=False)
        response = api_client.post(LOGIN, {"email": inactive.email, "password": password})
        assert response.status_code == 401

    def test_missing_fields_is_validation_error(self, api_client):
        response = api_client.post(LOGIN, {}, format="json")
        assert response.status_code == 400
        assert set(_error(response)["fields"]) == {"email", "password"}


class TestLockout:
    def _fail(self, client, email, times):
        return [
            client.post(LOGIN, {"email": email, "password": "wrong-pass"}).status_code
            for _ in range(times)
        ]

    def test_five_failures_lock_even_the_right_password(self, api_client, user, password):
        # The fifth failure is the one that locks, and it says so.
        assert self._fail(api_client, user.email, 5) == [401, 401, 401, 401, 403]
        response = api_client.post(LOGIN, {"email": user.email, "password": password})
        assert response.status_code == 403
        assert _error(response)["code"] == "account_locked"
        assert LoginHistory.objects.filter(user=user, failure_reason="locked").count() == 1
        assert self._fail(api_client, user.email, 1) == [403]

    def test_four_failures_do_not_lock_and_success_resets(self, api_client, user, password):
        assert self._fail(api_client, user.email, 4) == [401] * 4
        assert (
            api_client.post(LOGIN, {"email": user.email, "password": password}).status_code == 200
        )
        assert self._fail(api_client, user.email, 4) == [401] * 4
        assert (
            api_client.post(LOGIN, {"email": user.email, "password": password}).status_code == 200
        )

    def test_lock_is_per_account(self, api_client, user, other_user, password):
        self._fail(api_client, user.email, 5)
        response = api_client.post(LOGIN, {"email": other_user.email, "password": password})
        assert response.status_code == 200

    def test_lock_expires_after_cool_off(self, api_client, user, password, settings):
        from datetime import timedelta

        from axes.models import AccessAttempt
        from django.utils import timezone

        self._fail(api_client, user.email, 5)
        AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
        assert (
            api_client.post(LOGIN, {"email": user.email, "password": password}).status_code == 200
        )

    def test_admin_unlock_action(self, api_client, user, password):
        self._fail(api_client, user.email, 5)
        staff = UserFactory.create(is_staff=True, is_superuser=True)
        admin = APIClient()
        admin_signed_in(admin, staff)
        response = admin.post(
            "/admin/accounts/user/",
            {"action": "unlock_accounts", "_selected_action": [user.pk]},
            format="multipart",
        )
        assert response.status_code == 302
        assert (
            api_client.post(LOGIN, {"email": user.email, "password": password}).status_code == 200
        )


class TestRefresh:
    def test_rotates_and_old_token_is_dead(self, api_client, user):
        tokens = login_tokens(api_client, user.email)
        response = api_client.post(REFRESH, {"refresh": tokens["refresh"]})
        assert response.status_code == 200
        fresh = response.json()
        assert set(fresh) == {"access", "refresh"}
        assert fresh["refresh"] != tokens["refresh"]
        reused = api_client.post(REFRESH, {"refresh": tokens["refresh"]})
        assert reused.status_code == 401
        assert _error(reused)["code"] == "authentication_failed"
        assert api_client.post(REFRESH, {"refresh": fresh["refresh"]}).status_code == 200

    def test_garbage_and_access_tokens_are_refused(self, api_client, user):
        tokens = login_tokens(api_client, user.email)
        for bad in ("garbage", tokens["access"]):
            response = api_client.post(REFRESH, {"refresh": bad})
            assert response.status_code == 401
            assert _error(response)["code"] == "authentication_failed"

    def test_inactive_user_cannot_refresh(self, api_client, user):
        tokens = login_tokens(api_client, user.email)
        User.objects.filter(pk=user.pk).update(is_active=False)
        assert api_client.post(REFRESH, {"refresh": tokens["refresh"]}).status_code == 401

    def test_inactive_user_access_token_is_refused(self, api_client, user):
        tokens = login_tokens(api_client, user.email)
        User.objects.filter(pk=user.pk).update(is_active=False)
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
        assert api_client.get(PROFILE).status_code == 401


class TestLogout:
    def test_logout_kills_the_refresh_token(self, api_client, user):
        tokens = login_tokens(api_client, user.email)
        assert api_client.post(LOGOUT, {"refresh": tokens["refresh"]}).status_code == 205
        response = api_client.post(REFRESH, {"refresh": tokens["refresh"]})
        assert response.status_code == 401

    def test_logout_with_bad_token_is_validation_error(self, api_client):
        response = api_client.post(LOGOUT, {"refresh": "nope"})
        assert response.status_code == 400
        assert list(_error(response)["fields"]) == ["refresh"]

    def test_logout_twice_is_refused(self, api_client, user):
        tokens = login_tokens(api_client, user.email)
        api_client.post(LOGOUT, {"refresh": tokens["refresh"]})
        assert api_client.post(LOGOUT, {"refresh": tokens["refresh"]}).status_code == 400
