"""List-Unsubscribe with RFC 8058 one-click: the headers of bulk email over real SMTP, and the
signed link's endpoint (GET changes nothing, POST turns one kind's email off)."""

from __future__ import annotations

import datetime
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.core import signing
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from notifications.kinds import BULK_KINDS, DEFAULT_CHANNELS, Channel, Kind
from notifications.links import unsubscribe_token
from notifications.models import DeliveryAttempt, DeliveryStatus, NotificationPreference
from notifications.services import notify, preference_update

from .conftest import Mailbox, set_profile

URL = "/api/notifications/unsubscribe/"
ONE_CLICK = "List-Unsubscribe=One-Click"
REMINDER = {"daily_goal_minutes": 45, "local_date": "2026-11-26"}


@pytest.fixture(autouse=True)
def _public_url(settings: Any) -> None:
    settings.PUBLIC_URL = "https://api.studymate.test"


def _email(user: User, commit_hooks: Any, kind: str, context: dict[str, Any]) -> DeliveryAttempt:
    with commit_hooks():
        notification = notify(user=user, kind=kind, context=context, channels=["email"])
    return DeliveryAttempt.objects.get(notification=notification, channel="email")


def _link(header: str) -> str:
    match = re.fullmatch(r"<(https://[^>]+)>", str(header).strip())
    assert match, header
    return match.group(1)


def _one_click(client: APIClient, link: str) -> Any:
    """What a mail provider sends: a form POST of `List-Unsubscribe=One-Click` to the link."""
    return client.post(link, data=ONE_CLICK, content_type="application/x-www-form-urlencoded")


def _email_enabled(user: User, kind: str) -> bool:
    preference = NotificationPreference.objects.filter(user=user).first()
    if preference is None:
        return True
    override = preference.types.get(kind)
    if override is False:
        return False
    if isinstance(override, dict) and "email" in override:
        return bool(override["email"])
    return preference.email_enabled


def test_bulk_kinds_are_the_scheduled_and_broadcast_ones() -> None:
    assert {Kind.GOAL_REMINDER, Kind.STREAK_AT_RISK, Kind.WEEKLY_DIGEST, Kind.ANNOUNCEMENT} == (
        BULK_KINDS
    )
    for transactional in (Kind.PAYMENT_FAILED, Kind.QUIZ_GRADED, Kind.DATA_EXPORT_READY):
        assert transactional not in BULK_KINDS


def test_a_bulk_email_carries_one_click_unsubscribe_over_smtp(
    user: User, mailbox: Mailbox, commit_hooks: Any
) -> None:
    user = set_profile(user, language="en")
    delivery = _email(user, commit_hooks, "goal_reminder", REMINDER)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT

    (message,) = mailbox.messages
    assert message["List-Unsubscribe-Post"] == ONE_CLICK
    link = _link(message["List-Unsubscribe"])
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "api.studymate.test", URL)
    assert "token" in parse_qs(parts.query)
    # The link is the user's and the kind's, and nothing more readable than that.
    assert user.email not in link


def test_a_transactional_email_has_no_unsubscribe(
    user: User, mailbox: Mailbox, commit_hooks: Any
) -> None:
    assert Channel.EMAIL in DEFAULT_CHANNELS[Kind.PAYMENT_FAILED]
    _email(
        user,
        commit_hooks,
        "payment_failed",
        {"amount": "9.99", "currency": "USD", "plan": "Pro"},
    )
    (message,) = mailbox.messages
    assert message["List-Unsubscribe"] is None
    assert message["List-Unsubscribe-Post"] is None


def test_one_click_from_the_mailed_link_turns_that_kind_off(
    user: User, mailbox: Mailbox, commit_hooks: Any
) -> None:
    preference_update(user=user, data={"types": {"goal_reminder": {"push": False}}})
    _email(user, commit_hooks, "goal_reminder", REMINDER)
    link = _link(mailbox.messages[0]["List-Unsubscribe"])

    # No credentials: the mail provider posts it.
    with commit_hooks():
        response = _one_click(APIClient(), link)
    assert response.status_code == 200, response.content
    assert response.json() == {"kind": "goal_reminder", "email_enabled": False}
    preference = NotificationPreference.objects.get(user=user)
    # The kind's other channels keep their settings; other kinds are untouched.
    assert preference.types == {"goal_reminder": {"push": False, "email": False}}
    assert preference.email_enabled is True

    # The next reminder goes out without email; the digest still comes by email.
    user = User.objects.get(pk=user.pk)  # as a beat task loads it, preferences and all
    with commit_hooks():
        notification = notify(user=user, kind="goal_reminder", context=REMINDER)
    skipped = DeliveryAttempt.objects.get(notification=notification, channel="email")
    assert (skipped.status, skipped.last_error) == (
        DeliveryStatus.SKIPPED,
        "disabled in the learner's preferences",
    )
    assert len(mailbox.messages) == 1
    assert _email_enabled(user, "weekly_digest") is True

    # Again: harmless, same answer.
    assert _one_click(APIClient(), link).json() == {"kind": "goal_reminder", "email_enabled": False}


def test_get_changes_nothing(user: User) -> None:
    """Mail scanners and previews fetch links: a GET only describes the link."""
    token = unsubscribe_token(user_id=user.pk, kind="weekly_digest")
    response = APIClient().get(URL, {"token": token})
    assert response.status_code == 200
    assert response.json() == {"kind": "weekly_digest", "email_enabled": True}
    assert _email_enabled(user, "weekly_digest") is True
    assert not NotificationPreference.objects.filter(user=user).exists()


def _tampered(token: str) -> str:
    value, _, signature = token.rpartition(":")
    return f"{value}:{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"


@pytest.mark.parametrize(
    "make_token",
    [
        lambda user: "",
        lambda user: "not-a-token",
        lambda user: _tampered(unsubscribe_token(user_id=user.pk, kind="goal_reminder")),
        # Signed with another salt (a different kind of link of this project).
        lambda user: signing.TimestampSigner(salt="accounts.other").sign_object(
            {"u": user.pk, "k": "goal_reminder"}
        ),
        # Account mail is never unsubscribable, whatever the token says.
        lambda user: unsubscribe_token(user_id=user.pk, kind="password_reset"),
        lambda user: unsubscribe_token(user_id=user.pk + 999, kind="goal_reminder"),
    ],
    ids=["empty", "garbage", "tampered", "other-salt", "transactional-kind", "unknown-user"],
)
def test_a_bad_token_is_a_400_and_changes_nothing(user: User, make_token: Any) -> None:
    token = make_token(user)
    response = _one_click(APIClient(), f"{URL}?token={token}")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert "token" in error["fields"]
    assert not NotificationPreference.objects.filter(user=user).exists()
    if token:
        assert APIClient().get(URL, {"token": token}).status_code == 400


def test_an_expired_link_is_refused(user: User, settings: Any) -> None:
    settings.NOTIFICATIONS_UNSUBSCRIBE_MAX_AGE_DAYS = 30
    token = unsubscribe_token(user_id=user.pk, kind="goal_reminder")
    later = timezone.now() + datetime.timedelta(days=31)
    with time_machine.travel(later, tick=False):
        response = _one_click(APIClient(), f"{URL}?token={token}")
    assert response.status_code == 400
    assert _email_enabled(user, "goal_reminder") is True


def test_the_endpoint_is_throttled_like_other_anonymous_ones(user: User, settings: Any) -> None:
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "anon": "2/min"},
    }
    token = unsubscribe_token(user_id=user.pk, kind="goal_reminder")
    client = APIClient()
    statuses = [client.get(URL, {"token": token}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_the_bad_link_message_follows_the_language(db: None) -> None:
    korean = APIClient().post(f"{URL}?token=nope")
    english = APIClient().post(f"{URL}?token=nope", HTTP_ACCEPT_LANGUAGE="en")
    assert korean.json()["error"]["fields"]["token"] == [
        "수신 거부 링크가 올바르지 않거나 만료되었습니다."
    ]
    assert english.json()["error"]["fields"]["token"] == [
        "This unsubscribe link is not valid or has expired."
    ]
