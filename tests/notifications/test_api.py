"""The notifications API: own inbox, read state, preferences validation, devices."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from notifications.models import Device, Notification
from notifications.services import notify
from tests.conftest import login_tokens

URL = "/api/notifications/"


@pytest.fixture
def other_client(other_user: User) -> APIClient:
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {login_tokens(client, other_user.email)['access']}"
    )
    return client


def _notifications(user: User, count: int) -> list[Notification]:
    return [
        notify(user=user, kind="summary_ready", context={"summary_title": f"S{i}"}, channels=[])
        for i in range(count)
    ]


def test_the_list_is_own_newest_first_and_paginated(
    auth_client: APIClient, user: User, other_user: User, django_assert_num_queries: Any
) -> None:
    _notifications(user, 3)
    _notifications(other_user, 2)
    with django_assert_num_queries(3):  # the token's user, count, page
        response = auth_client.get(URL, {"page_size": 2})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [n["data"]["summary_title"] for n in body["results"]] == ["S2", "S1"]
    assert body["results"][0]["title"] == "요약 “S2”이(가) 준비되었습니다"  # profile default: ko
    assert set(body["results"][0]) == {
        "id",
        "kind",
        "title",
        "body",
        "data",
        "read_at",
        "created_at",
    }
    assert body["next"] is not None


def test_unread_filter_and_bad_query_values(auth_client: APIClient, user: User) -> None:
    first, _second = _notifications(user, 2)
    auth_client.post(f"{URL}{first.pk}/read/")
    assert auth_client.get(URL, {"unread": "true"}).json()["count"] == 1
    response = auth_client.get(URL, {"unread": "maybe"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert auth_client.get(URL, {"colour": "red"}).status_code == 400


def test_read_unread_count_and_read_all(auth_client: APIClient, user: User) -> None:
    first, *_rest = _notifications(user, 3)
    assert auth_client.get(f"{URL}unread_count/").json() == {"unread_count": 3}
    read = auth_client.post(f"{URL}{first.pk}/read/")
    assert read.status_code == 200
    assert read.json()["read_at"] is not None
    again = auth_client.post(f"{URL}{first.pk}/read/")
    assert again.json()["read_at"] == read.json()["read_at"]
    assert auth_client.get(f"{URL}unread_count/").json() == {"unread_count": 2}
    assert auth_client.post(f"{URL}read_all/").json() == {"marked_read": 2}
    assert auth_client.get(f"{URL}unread_count/").json() == {"unread_count": 0}


def test_another_learners_notification_is_not_found(
    auth_client: APIClient, other_user: User
) -> None:
    (theirs,) = _notifications(other_user, 1)
    response = auth_client.post(f"{URL}{theirs.pk}/read/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert auth_client.post(f"{URL}read_all/").json() == {"marked_read": 0}
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_anonymous_requests_are_refused(api_client: APIClient) -> None:
    assert api_client.get(URL).status_code == 401
    assert api_client.get(f"{URL}preferences/").status_code == 401


# --- preferences ---------------------------------------------------------------------------------


def test_preferences_defaults_and_update(auth_client: APIClient) -> None:
    assert auth_client.get(f"{URL}preferences/").json() == {
        "email_enabled": True,
        "push_enabled": True,
        "sms_enabled": False,
        "in_app_enabled": True,
        "quiet_hours_start": None,
        "quiet_hours_end": None,
        "types": {},
        "phone_number": "",
    }
    body = {
        "email_enabled": False,
        "quiet_hours_start": "22:00",
        "quiet_hours_end": "07:00",
        "types": {"weekly_digest": False, "goal_reminder": {"push": False, "email": True}},
        "sms_enabled": True,
        "phone_number": "+82 10-1234-5678",
    }
    response = auth_client.put(f"{URL}preferences/", body, format="json")
    assert response.status_code == 200, response.content
    saved = response.json()
    assert saved["email_enabled"] is False
    assert saved["quiet_hours_start"] == "22:00:00"
    assert saved["phone_number"] == "+821012345678"
    assert saved["types"]["goal_reminder"] == {"push": False, "email": True}
    assert auth_client.get(f"{URL}preferences/").json() == saved


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"types": {"not_a_kind": False}}, "types"),
        ({"types": {"goal_reminder": {"fax": True}}}, "types"),
        ({"types": {"goal_reminder": {"push": "yes"}}}, "types"),
        ({"types": {"goal_reminder": {}}}, "types"),
        ({"types": ["goal_reminder"]}, "types"),
        ({"quiet_hours_start": "22:00"}, "quiet_hours_end"),
        ({"quiet_hours_start": "22:00", "quiet_hours_end": None}, "quiet_hours_end"),
        ({"quiet_hours_start": "25:00", "quiet_hours_end": "07:00"}, "quiet_hours_start"),
        ({"phone_number": "010-1234-5678"}, "phone_number"),
        ({"phone_number": "+82 10 12"}, "phone_number"),
        ({"email_enabled": "sometimes"}, "email_enabled"),
        ({"user": 5}, "user"),
    ],
)
def test_bad_preferences_are_refused_and_change_nothing(
    auth_client: APIClient, body: dict[str, Any], field: str
) -> None:
    before = auth_client.get(f"{URL}preferences/").json()
    response = auth_client.put(f"{URL}preferences/", body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"]
    assert auth_client.get(f"{URL}preferences/").json() == before


# --- devices -------------------------------------------------------------------------------------


def test_device_registration_is_idempotent_per_token(auth_client: APIClient, user: User) -> None:
    body = {"token": "fcm-abc", "platform": "android"}
    first = auth_client.post(f"{URL}devices/", body, format="json")
    second = auth_client.post(f"{URL}devices/", body, format="json")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert Device.objects.filter(token="fcm-abc").count() == 1
    listed = auth_client.get(f"{URL}devices/").json()
    assert [d["token"] for d in listed] == ["fcm-abc"]


def test_a_token_moves_to_the_learner_who_registers_it_again(
    auth_client: APIClient, other_client: APIClient, user: User, other_user: User
) -> None:
    auth_client.post(f"{URL}devices/", {"token": "shared", "platform": "ios"}, format="json")
    Device.objects.filter(token="shared").update(active=False)
    moved = other_client.post(
        f"{URL}devices/", {"token": "shared", "platform": "ios"}, format="json"
    )
    assert moved.status_code == 200
    device = Device.objects.get(token="shared")
    assert (device.user_id, device.active) == (other_user.pk, True)
    assert auth_client.get(f"{URL}devices/").json() == []


def test_deleting_a_device_is_own_only(auth_client: APIClient, other_client: APIClient) -> None:
    other_client.post(f"{URL}devices/", {"token": "theirs", "platform": "web"}, format="json")
    response = auth_client.delete(f"{URL}devices/", {"token": "theirs"}, format="json")
    assert response.status_code == 404
    assert Device.objects.filter(token="theirs").exists()
    assert other_client.delete(f"{URL}devices/?token=theirs").status_code == 204
    assert not Device.objects.filter(token="theirs").exists()


@pytest.mark.parametrize(
    "body",
    [
        {"token": "x", "platform": "blackberry"},
        {"platform": "ios"},
        {"token": "", "platform": "ios"},
        {"token": "x", "platform": "ios", "user": 1},
    ],
)
def test_bad_device_registrations_are_refused(auth_client: APIClient, body: dict[str, Any]) -> None:
    response = auth_client.post(f"{URL}devices/", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert not Device.objects.exists()
