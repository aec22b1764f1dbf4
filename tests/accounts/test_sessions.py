"""Sign-ins as sessions, over HTTP: the list (device, address, times, `current`), revoking one
(its refresh and access tokens and its sockets end, the others carry on), revoking the others,
another user's sign-in is a 404, the query budgets, and retention."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from accounts.events import SIGNED_OUT
from accounts.models.sessions import SignIn
from accounts.services.sessions import sign_ins_end_all, sign_ins_purge
from studymate_api.core.models import DomainEvent
from tests.factories import DEFAULT_PASSWORD

# Transactions commit: an ended sign-in is remembered after commit (its access tokens refused),
# and its events reach the sockets, as in production.
pytestmark = pytest.mark.django_db(transaction=True)

SESSIONS = "/api/auth/sessions/"
REVOKE_OTHERS = "/api/auth/sessions/revoke_others/"
LOGIN = "/api/auth/login/"
REFRESH = "/api/auth/refresh/"
LOGOUT = "/api/auth/logout/"
PROFILE = "/api/auth/profile/"

IPHONE_APP = "StudyMate/2.3 (iPhone; iOS 17.2; Scale/3.00)"
MAC_CHROME = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
ANDROID_APP = "StudyMate/2.4.1 (Linux; Android 14; Pixel 8 Build/AP1A)"


def sign_in(email: str, *, ip: str = "10.0.0.1", agent: str = "") -> dict[str, Any]:
    """Logs in from a client at `ip` whose User-Agent is `agent`: its tokens."""
    response = APIClient().post(
        LOGIN,
        {"email": email, "password": DEFAULT_PASSWORD},
        format="json",
        REMOTE_ADDR=ip,
        HTTP_USER_AGENT=agent,
    )
    assert response.status_code == 200, response.content
    return dict(response.json())


def client_for(tokens: dict[str, Any]) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    return client


def status_with(access: str) -> int:
    return int(client_for({"access": access}).get(PROFILE).status_code)


def refresh_status(refresh: str) -> int:
    return int(APIClient().post(REFRESH, {"refresh": refresh}, format="json").status_code)


def listed(tokens: dict[str, Any]) -> list[dict[str, Any]]:
    response = client_for(tokens).get(SESSIONS)
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    return list(body["results"])


@pytest.fixture(autouse=True)
def _outbox_in_process(celery_in_process: None) -> None:
    """The accounts events reach their subscribers in this process, with or without Redis."""


# --- the list --------------------------------------------------------------------------------


def test_the_list_names_each_sign_in_and_the_current_one(user, other_user):
    phone = sign_in(user.email, ip="203.0.113.7", agent=IPHONE_APP)
    laptop = sign_in(user.email, ip="198.51.100.20", agent=MAC_CHROME)
    sign_in(other_user.email, agent=ANDROID_APP)  # someone else's: never listed

    from_laptop = listed(laptop)
    assert [item["device"] for item in from_laptop] == ["Chrome on macOS", "iPhone · StudyMate 2.3"]
    assert [item["ip_address"] for item in from_laptop] == ["198.51.100.20", "203.0.113.7"]
    assert [item["current"] for item in from_laptop] == [True, False]
    assert set(from_laptop[0]) == {
        "id",
        "device",
        "ip_address",
        "created_at",
        "last_used_at",
        "current",
    }
    # The same list seen from the phone marks the phone.
    assert {item["device"]: item["current"] for item in listed(phone)} == {
        "Chrome on macOS": False,
        "iPhone · StudyMate 2.3": True,
    }


def test_a_refresh_marks_the_sign_in_used_and_keeps_it_current(user):
    phone = sign_in(user.email, ip="203.0.113.7", agent=IPHONE_APP)
    [before] = listed(phone)
    assert before["created_at"] == before["last_used_at"]

    response = APIClient().post(
        REFRESH, {"refresh": phone["refresh"]}, format="json", REMOTE_ADDR="203.0.113.99"
    )
    assert response.status_code == 200
    [after] = listed(response.json())
    assert after["id"] == before["id"]  # the same sign-in, rotated
    assert after["current"] is True
    assert after["created_at"] == before["created_at"]
    assert after["last_used_at"] > before["last_used_at"]
    assert after["ip_address"] == "203.0.113.99"  # where it was last used from
    assert after["device"] == "iPhone · StudyMate 2.3"


@pytest.mark.django_db  # not transactional: the write's own statements, without its commit
def test_a_refresh_costs_one_more_statement(user, django_assert_max_num_queries):
    tokens = sign_in(user.email)
    # The refresh's statements as before (the blacklist check, the user and outstanding-token
    # locks, the blacklist row, the new outstanding token, savepoints: 9) plus one UPDATE of the
    # sign-in: no read of it.
    with django_assert_max_num_queries(10) as captured:
        assert refresh_status(tokens["refresh"]) == 200
    sign_in_statements = [
        q["sql"] for q in captured.captured_queries if "accounts_signin" in q["sql"]
    ]
    assert len(sign_in_statements) == 1
    assert sign_in_statements[0].startswith("UPDATE")


def test_a_sign_in_from_before_the_list_joins_it_on_its_next_refresh(user):
    tokens = sign_in(user.email, agent=IPHONE_APP)
    SignIn.objects.all().delete()  # as if it had signed in before sign-ins had rows
    response = APIClient().post(
        REFRESH, {"refresh": tokens["refresh"]}, format="json", HTTP_USER_AGENT=IPHONE_APP
    )
    assert response.status_code == 200
    [item] = listed(response.json())
    assert item["current"] is True
    assert item["device"] == "iPhone · StudyMate 2.3"


def test_logged_out_and_expired_sign_ins_leave_the_list(user):
    first, second, third = (sign_in(user.email) for _ in range(3))
    assert APIClient().post(LOGOUT, {"refresh": second["refresh"]}).status_code == 205
    # Unused for longer than a refresh token lives: its refresh token has expired.
    long_ago = timezone.now() - jwt_settings.REFRESH_TOKEN_LIFETIME - datetime.timedelta(hours=1)
    SignIn.objects.filter(pk=_id_of(third)).update(last_used_at=long_ago)
    assert [item["current"] for item in listed(first)] == [True]


def test_the_list_is_paginated_and_costs_the_same_for_many(user, django_assert_max_num_queries):
    tokens = sign_in(user.email)
    for _ in range(4):
        sign_in(user.email)
    client = client_for(tokens)
    with django_assert_max_num_queries(4):
        page = client.get(SESSIONS, {"page_size": 2}).json()
    assert page["count"] == 5
    assert len(page["results"]) == 2
    assert page["next"] is not None


def test_the_list_needs_a_sign_in(db):
    assert APIClient().get(SESSIONS).status_code == 401


# --- revoking one ----------------------------------------------------------------------------


def test_revoking_one_ends_its_refresh_and_access_tokens_only(user):
    phone = sign_in(user.email, agent=IPHONE_APP)
    laptop = sign_in(user.email, agent=MAC_CHROME)
    phone_id = _id_of(phone)

    response = client_for(laptop).delete(f"{SESSIONS}{phone_id}/")

    assert response.status_code == 204
    assert status_with(phone["access"]) == 401
    assert refresh_status(phone["refresh"]) == 401
    # The laptop carries on, and the phone is gone from its list.
    assert status_with(laptop["access"]) == 200
    assert [item["device"] for item in listed(laptop)] == ["Chrome on macOS"]
    assert refresh_status(laptop["refresh"]) == 200
    payloads = DomainEvent.objects.filter(event_type=SIGNED_OUT).values_list("payload", flat=True)
    assert [payload["user_id"] for payload in payloads] == [user.pk]
    # Revoking it again: it has ended.
    assert client_for(laptop).delete(f"{SESSIONS}{phone_id}/").status_code == 404


def test_another_users_sign_in_is_a_404_and_stays(user, other_user):
    mine = sign_in(user.email)
    theirs = sign_in(other_user.email)
    their_id = _id_of(theirs)

    response = client_for(mine).delete(f"{SESSIONS}{their_id}/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert status_with(theirs["access"]) == 200
    assert refresh_status(theirs["refresh"]) == 200
    assert client_for(mine).delete(f"{SESSIONS}999999/").status_code == 404


def test_revoking_the_current_sign_in_signs_this_client_out(user):
    tokens = sign_in(user.email)
    assert client_for(tokens).delete(f"{SESSIONS}{_id_of(tokens)}/").status_code == 204
    assert status_with(tokens["access"]) == 401
    assert refresh_status(tokens["refresh"]) == 401


@pytest.mark.django_db  # not transactional: the write's own statements, without its commit
def test_revoking_one_stays_within_its_budget(user, django_assert_max_num_queries):
    phone, laptop = sign_in(user.email), sign_in(user.email)
    client, phone_id = client_for(laptop), _id_of(phone)
    # Authentication (the user), the sign-in, the user lock, the live refresh tokens, the
    # blacklist rows, the sign-in's end and the event (on PostgreSQL also the aggregate's
    # advisory lock), plus savepoints.
    with django_assert_max_num_queries(10):
        assert client.delete(f"{SESSIONS}{phone_id}/").status_code == 204


# --- revoking the others ---------------------------------------------------------------------


def test_revoke_others_keeps_only_the_current_sign_in(user, other_user):
    current = sign_in(user.email, agent=MAC_CHROME)
    others = [sign_in(user.email, agent=IPHONE_APP), sign_in(user.email, agent=ANDROID_APP)]
    stranger = sign_in(other_user.email)

    response = client_for(current).post(REVOKE_OTHERS)

    assert response.status_code == 200
    assert response.json() == {"revoked": 2}
    for tokens in others:
        assert status_with(tokens["access"]) == 401
        assert refresh_status(tokens["refresh"]) == 401
    assert status_with(current["access"]) == 200
    assert [item["current"] for item in listed(current)] == [True]
    assert status_with(stranger["access"]) == 200
    sids = DomainEvent.objects.filter(event_type=SIGNED_OUT).values_list("payload", flat=True)
    assert len(list(sids)) == 2  # one SignedOut per ended sign-in
    # Nothing left to end.
    assert client_for(current).post(REVOKE_OTHERS).json() == {"revoked": 0}
    assert refresh_status(current["refresh"]) == 200


def test_ending_every_sign_in_ends_the_current_one_too(user):
    # What a password reset or an account deletion does (accounts.services.sessions).
    tokens = [sign_in(user.email) for _ in range(2)]
    assert sign_ins_end_all(user=user) == 2
    for each in tokens:
        assert refresh_status(each["refresh"]) == 401
        assert status_with(each["access"]) == 401
    assert SignIn.objects.filter(user=user, ended_at__isnull=True).count() == 0


def test_a_password_change_ends_every_sign_in_in_the_list(user):
    tokens = sign_in(user.email)
    sign_in(user.email)
    body = {"old_password": DEFAULT_PASSWORD, "new_password": "Another-Lantern-88"}
    assert client_for(tokens).post("/api/auth/password/change/", body).status_code == 204
    assert SignIn.objects.filter(user=user, ended_at__isnull=True).count() == 0


# --- retention -------------------------------------------------------------------------------


def test_ended_and_long_idle_sign_ins_are_pruned(user, settings):
    settings.ACCOUNTS_SIGN_INS_RETENTION_DAYS = 30
    live, ended_lately, ended_long_ago, idle = (sign_in(user.email) for _ in range(4))
    now = timezone.now()
    by_id = {item["id"]: item for item in listed(live)}
    ids = [_id_of(tokens) for tokens in (live, ended_lately, ended_long_ago, idle)]
    assert set(ids) == set(by_id)
    SignIn.objects.filter(pk=ids[1]).update(ended_at=now - datetime.timedelta(days=1))
    SignIn.objects.filter(pk=ids[2]).update(ended_at=now - datetime.timedelta(days=31))
    idle_since = now - jwt_settings.REFRESH_TOKEN_LIFETIME - datetime.timedelta(days=31)
    SignIn.objects.filter(pk=ids[3]).update(last_used_at=idle_since)

    assert sign_ins_purge() == 2
    assert set(SignIn.objects.values_list("pk", flat=True)) == {ids[0], ids[1]}
    assert sign_ins_purge() == 0


def test_the_beat_schedule_prunes_sign_ins_hourly(user):
    from django.conf import settings as django_settings

    from accounts.tasks import purge_sign_ins

    entry = django_settings.CELERY_BEAT_SCHEDULE["accounts-purge-sign-ins"]
    assert entry["task"] == purge_sign_ins.name == "accounts.purge_sign_ins"
    assert entry["schedule"] == 3600.0
    tokens = sign_in(user.email)
    long_ago = timezone.now() - datetime.timedelta(days=400)
    SignIn.objects.filter(pk=_id_of(tokens)).update(ended_at=long_ago)
    assert purge_sign_ins.delay().get() == 1
    assert not SignIn.objects.exists()


# --- sockets ---------------------------------------------------------------------------------


def test_a_revoked_sign_in_closes_its_sockets_4401_and_only_its(user):
    from tests.realtime.credentials_support import assert_open
    from tests.realtime.learning_support import close_code, learning_socket
    from tests.realtime.room_support import reset_channel_layers

    reset_channel_layers()
    phone, laptop = sign_in(user.email), sign_in(user.email)
    phone_id = _id_of(phone)

    def revoke() -> int:
        return int(client_for(laptop).delete(f"{SESSIONS}{phone_id}/").status_code)

    async def scenario() -> tuple[int, int]:
        on_phone = learning_socket(token=phone["access"])
        on_laptop = learning_socket(token=laptop["access"])
        for socket in (on_phone, on_laptop):
            accepted, _ = await socket.connect()
            assert accepted
        status = await sync_to_async(revoke)()
        code = await close_code(on_phone, timeout=3)
        await assert_open(on_laptop)
        for socket in (on_phone, on_laptop):
            await socket.disconnect()
        return status, code

    try:
        assert async_to_sync(scenario)() == (204, 4401)
    finally:
        reset_channel_layers()


def _id_of(tokens: dict[str, Any]) -> int:
    """The list id of the sign-in `tokens` belong to: the one their own list marks current."""
    [current] = [item for item in listed(tokens) if item["current"]]
    return int(current["id"])


# --- admin -----------------------------------------------------------------------------------


def test_support_ends_a_sign_in_from_the_admin(user):
    from django.test import Client

    from tests.conftest import admin_signed_in
    from tests.factories import UserFactory

    phone, laptop = sign_in(user.email, agent=IPHONE_APP), sign_in(user.email, agent=MAC_CHROME)
    admin = admin_signed_in(Client(), UserFactory.create(is_staff=True, is_superuser=True))
    listing = admin.get("/admin/accounts/signin/", {"q": user.email})
    assert listing.status_code == 200
    assert "iPhone · StudyMate 2.3" in listing.content.decode()

    phone_id = _id_of(phone)
    response = admin.post(
        "/admin/accounts/signin/", {"action": "end_sign_ins", "_selected_action": [phone_id]}
    )

    assert response.status_code == 302
    assert status_with(phone["access"]) == 401
    assert refresh_status(phone["refresh"]) == 401
    assert status_with(laptop["access"]) == 200
