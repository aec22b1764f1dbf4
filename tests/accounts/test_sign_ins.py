"""Sign-ins: logout ends the access tokens of its sign-in too (API.md, Accounts), rotation keeps
the sign-in, `sign_in_revoke` ends one sign-in without its refresh token, tokens from before
sign-in ids keep working until they expire; and what it costs in queries."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.events import PASSWORD_CHANGED, SIGNED_OUT
from accounts.services import sign_in_revoke
from accounts.tokens import SID_CLAIM
from studymate_api.core.models import DomainEvent
from tests.conftest import login_tokens
from tests.factories import DEFAULT_PASSWORD, UserFactory

# Transactions commit: the revoked sign-in is remembered after commit, as in production.
pytestmark = pytest.mark.django_db(transaction=True)

LOGIN = "/api/auth/login/"
REFRESH = "/api/auth/refresh/"
LOGOUT = "/api/auth/logout/"
PROFILE = "/api/auth/profile/"
PASSWORD = "/api/auth/password/change/"


@pytest.fixture(autouse=True)
def _outbox_in_process(celery_in_process: None) -> None:
    """The accounts events reach their subscribers in this process, with or without Redis."""


def profile_status(access: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client.get(PROFILE).status_code


def sid_of(token: str) -> str:
    return str(AccessToken(token)[SID_CLAIM])  # type: ignore[arg-type]


def test_logout_ends_the_access_token_of_that_sign_in_only(api_client, user):
    phone, laptop = login_tokens(APIClient(), user.email), login_tokens(APIClient(), user.email)
    assert profile_status(phone["access"]) == 200
    assert api_client.post(LOGOUT, {"refresh": phone["refresh"]}).status_code == 205

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {phone['access']}")
    refused = client.get(PROFILE)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "authentication_failed"
    assert profile_status(laptop["access"]) == 200


def test_every_token_of_a_sign_in_shares_its_id_across_rotations(api_client, user):
    first = login_tokens(api_client, user.email)
    rotated = api_client.post(REFRESH, {"refresh": first["refresh"]}).json()
    assert sid_of(first["access"]) == sid_of(rotated["access"])
    assert RefreshToken(rotated["refresh"])[SID_CLAIM] == sid_of(first["access"])
    other = login_tokens(api_client, user.email)
    assert sid_of(other["access"]) != sid_of(first["access"])

    # Logging out with the rotated refresh token ends the access token minted at login too.
    assert api_client.post(LOGOUT, {"refresh": rotated["refresh"]}).status_code == 205
    assert profile_status(first["access"]) == 401
    assert profile_status(rotated["access"]) == 401
    assert profile_status(other["access"]) == 200


def test_logout_records_one_signed_out_event(api_client, user):
    tokens = login_tokens(api_client, user.email)
    api_client.post(LOGOUT, {"refresh": tokens["refresh"]})
    events = DomainEvent.objects.filter(event_type=SIGNED_OUT)
    assert [(e.aggregate_type, e.aggregate_id, e.payload) for e in events] == [
        ("user", str(user.pk), {"user_id": user.pk, "sid": sid_of(tokens["access"])})
    ]
    # A refused logout records nothing.
    assert api_client.post(LOGOUT, {"refresh": tokens["refresh"]}).status_code == 400
    assert DomainEvent.objects.filter(event_type=SIGNED_OUT).count() == 1


def test_a_password_change_records_password_changed(api_client, user):
    tokens = login_tokens(api_client, user.email)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    body = {"old_password": DEFAULT_PASSWORD, "new_password": "Another-Lantern-88"}
    assert api_client.post(PASSWORD, body).status_code == 204
    payloads = list(
        DomainEvent.objects.filter(event_type=PASSWORD_CHANGED).values_list("payload", flat=True)
    )
    assert payloads == [{"user_id": user.pk}]
    assert profile_status(tokens["access"]) == 401


def test_tokens_from_before_sign_in_ids_work_until_they_expire(api_client, user):
    legacy_refresh = RefreshToken.for_user(user)  # what login minted before: no sid
    legacy_access = str(legacy_refresh.access_token)
    assert SID_CLAIM not in AccessToken(legacy_access)  # type: ignore[arg-type]
    assert profile_status(legacy_access) == 200

    rotated = api_client.post(REFRESH, {"refresh": str(legacy_refresh)})
    assert rotated.status_code == 200
    assert sid_of(rotated.json()["access"])  # the rotation starts a sign-in

    # Logging out a legacy refresh token ends it; its access token has no sign-in to end.
    another = RefreshToken.for_user(user)
    assert api_client.post(LOGOUT, {"refresh": str(another)}).status_code == 205
    assert api_client.post(REFRESH, {"refresh": str(another)}).status_code == 401
    assert profile_status(str(another.access_token)) == 200


def test_sign_in_revoke_ends_one_sign_in_without_its_refresh_token(api_client, user, other_user):
    ended, kept = login_tokens(APIClient(), user.email), login_tokens(APIClient(), user.email)
    sid = sid_of(ended["access"])

    assert sign_in_revoke(user=other_user, sid=sid) == 0  # not theirs: nothing happens
    assert profile_status(ended["access"]) == 200

    assert sign_in_revoke(user=user, sid=sid) == 1
    assert profile_status(ended["access"]) == 401
    assert api_client.post(REFRESH, {"refresh": ended["refresh"]}).status_code == 401
    assert profile_status(kept["access"]) == 200
    assert api_client.post(REFRESH, {"refresh": kept["refresh"]}).status_code == 200
    assert sign_in_revoke(user=user, sid=sid) == 0  # already ended
    assert DomainEvent.objects.filter(event_type=SIGNED_OUT).count() == 1


def test_a_signed_out_staff_token_cannot_read_metrics(settings, staff_user_tokens):
    settings.DEBUG = False
    settings.METRICS_TOKEN = "a-long-random-metrics-token-0123456789abcdef"
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {staff_user_tokens['access']}")
    assert client.get("/metrics/").status_code == 200
    APIClient().post(LOGOUT, {"refresh": staff_user_tokens["refresh"]})
    assert client.get("/metrics/").status_code == 401


@pytest.fixture
def staff_user_tokens(transactional_db):
    staff = UserFactory.create(is_staff=True)
    return login_tokens(APIClient(), staff.email)


# --- cost (inside the test's transaction: what the request itself runs) ----------------------


@pytest.mark.django_db
def test_the_sign_in_check_adds_no_query_to_an_authenticated_request(
    api_client, user, django_assert_num_queries
):
    tokens = login_tokens(api_client, user.email)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    api_client.get(PROFILE)  # the profile row exists from here on
    # The user (simplejwt's get_user), the user with the profile, and the profile ensured.
    with django_assert_num_queries(3):
        assert api_client.get(PROFILE).status_code == 200


@pytest.mark.django_db
def test_login_and_logout_stay_cheap(api_client, user, django_assert_max_num_queries):
    # Login: the lockout state (one grouped read of axes' attempts) and axes' own check, the
    # account-deletion lookup (an account waiting for erasure may sign in to cancel), the user,
    # axes' reset (2), last_login, the history row, the MFA check, the sign-in row (the sessions
    # list), the outstanding token and the user with profile. Before sign-ins had rows, MFA and
    # deletion: 9.
    with django_assert_max_num_queries(12):
        tokens = login_tokens(api_client, user.email)
    # Logout: the blacklist check, the outstanding token, the blacklist row and the event (its
    # sequence and row; on PostgreSQL also the aggregate's advisory lock), plus savepoints. The
    # user is no longer fetched. Before sign-in ids: 7 (5 queries and one savepoint).
    with django_assert_max_num_queries(12):
        assert api_client.post(LOGOUT, {"refresh": tokens["refresh"]}).status_code == 205
