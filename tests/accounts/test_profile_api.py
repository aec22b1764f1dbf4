"""Profile, password change and login history."""

from __future__ import annotations

import pytest

from accounts.models import LoginHistory, User
from tests.conftest import login_tokens

pytestmark = pytest.mark.django_db

PROFILE = "/api/auth/profile/"
PASSWORD = "/api/auth/password/change/"
HISTORY = "/api/auth/login-history/"
REFRESH = "/api/auth/refresh/"


class TestProfile:
    def test_get_has_the_contract_shape(self, auth_client, user):
        body = auth_client.get(PROFILE).json()
        assert {"id", "email", "username", "first_name", "last_name", "profile"} <= set(body)
        assert set(body["profile"]) == {
            "bio",
            "grade_level",
            "timezone",
            "preferred_language",
            "learning_goals",
        }
        assert body["id"] == user.pk

    def test_requires_authentication(self, api_client):
        response = api_client.get(PROFILE)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"

    def test_invalid_token_is_authentication_failed(self, api_client):
        api_client.credentials(HTTP_AUTHORIZATION="Bearer not.a.token")
        response = api_client.get(PROFILE)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "authentication_failed"

    def test_patch_updates_user_and_profile_fields(self, auth_client, user):
        response = auth_client.patch(
            PROFILE,
            {
                "first_name": "Seo",
                "profile": {"bio": "수학을 좋아해요", "timezone": "Europe/Berlin"},
            },
        )
        assert response.status_code == 200
        assert response.json()["profile"]["bio"] == "수학을 좋아해요"
        user.refresh_from_db()
        assert user.first_name == "Seo"
        assert user.profile.timezone == "Europe/Berlin"

    def test_put_with_learning_goals(self, auth_client, user):
        goals = ["pass the exam", "read daily"]
        response = auth_client.put(PROFILE, {"profile": {"learning_goals": goals}})
        assert response.status_code == 200
        user.profile.refresh_from_db()
        assert user.profile.learning_goals == goals

    @pytest.mark.parametrize(
        "body",
        [
            {"is_staff": True},
            {"email_verified": True},
            {"email": "other@example.com"},
            {"is_superuser": True, "first_name": "X"},
            {"profile": {"user": 5}},
        ],
    )
    def test_fields_outside_the_profile_are_refused_and_nothing_changes(
        self, auth_client, user, body
    ):
        User.objects.filter(pk=user.pk).update(email_verified=False)
        response = auth_client.patch(PROFILE, body)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "validation_error"
        fresh = User.objects.get(pk=user.pk)
        assert (fresh.is_staff, fresh.email_verified, fresh.email) == (False, False, user.email)
        assert fresh.first_name == user.first_name

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"profile": {"timezone": "Mars/Olympus"}}, "profile.timezone"),
            ({"profile": {"preferred_language": "fr"}}, "profile.preferred_language"),
            ({"profile": {"learning_goals": "not a list"}}, "profile.learning_goals"),
            ({"username": "bad name!"}, "username"),
        ],
    )
    def test_invalid_values_name_the_field(self, auth_client, body, field):
        response = auth_client.patch(PROFILE, body)
        assert response.status_code == 400
        assert field in response.json()["error"]["fields"]

    def test_taken_username_is_refused(self, auth_client, other_user):
        response = auth_client.patch(PROFILE, {"username": other_user.username.upper()})
        assert response.status_code == 400
        assert "username" in response.json()["error"]["fields"]


class TestPasswordChange:
    def test_change_revokes_every_token(self, api_client, auth_client, user, password):
        other_session = login_tokens(api_client, user.email)
        response = auth_client.post(
            PASSWORD, {"old_password": password, "new_password": "Fresh-Meadow-93"}
        )
        assert response.status_code == 204
        assert api_client.post(REFRESH, {"refresh": other_session["refresh"]}).status_code == 401
        # Access tokens carry the password hash and die with the old password.
        assert auth_client.get(PROFILE).status_code == 401
        assert login_tokens(api_client, user.email, "Fresh-Meadow-93")["access"]

    def test_wrong_old_password(self, auth_client, user):
        response = auth_client.post(
            PASSWORD, {"old_password": "wrong-one", "new_password": "Fresh-Meadow-93"}
        )
        assert response.status_code == 400
        assert list(response.json()["error"]["fields"]) == ["old_password"]
        user.refresh_from_db()
        assert not user.check_password("Fresh-Meadow-93")

    def test_weak_new_password(self, auth_client, password):
        response = auth_client.post(PASSWORD, {"old_password": password, "new_password": "abc"})
        assert response.status_code == 400
        assert list(response.json()["error"]["fields"]) == ["new_password"]

    def test_requires_authentication(self, api_client):
        assert api_client.post(PASSWORD, {}).status_code == 401


class TestLoginHistory:
    def test_lists_only_own_entries_newest_first(self, api_client, auth_client, user, other_user):
        api_client.post("/api/auth/login/", {"email": user.email, "password": "bad-password"})
        login_tokens(api_client, other_user.email)
        body = auth_client.get(HISTORY).json()
        assert body["count"] == 2
        assert [row["success"] for row in body["results"]] == [False, True]
        assert set(body["results"][0]) == {"ip_address", "user_agent", "success", "created_at"}

    def test_pagination_and_page_size_limit(self, auth_client, user):
        LoginHistory.objects.bulk_create(
            [LoginHistory(user=user, email=user.email, success=True) for _ in range(120)]
        )
        body = auth_client.get(HISTORY, {"page_size": 500}).json()
        assert len(body["results"]) == 100
        assert body["next"] is not None
        assert body["previous"] is None

    def test_list_query_count_is_constant(self, auth_client, user, django_assert_num_queries):
        LoginHistory.objects.bulk_create(
            [LoginHistory(user=user, email=user.email, success=True) for _ in range(30)]
        )
        # authentication (user), count, page
        with django_assert_num_queries(3):
            auth_client.get(HISTORY)

    def test_filter_by_success(self, auth_client, user):
        LoginHistory.objects.create(user=user, email=user.email, success=False)
        body = auth_client.get(HISTORY, {"success": "false"}).json()
        assert body["count"] == 1
