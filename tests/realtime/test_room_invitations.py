"""Inviting a learner into a study room by email: a member asks, the invitee gets a
`room_invitation` notification that carries what they need to join (the room's id and, for a
private room, its invite code); the answer never tells whether an account has the email."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from accounts.models import User
from notifications.models import Notification
from realtime.models import RoomMembership, StudyRoom
from studymate_api.cqrs import subscribers
from tests.factories import UserFactory
from tests.realtime.room_support import add_member, client_for, make_room

pytestmark = pytest.mark.django_db

ROOMS = "/api/study/realtime/rooms/"


def invite_url(room: StudyRoom | int) -> str:
    room_id = room if isinstance(room, int) else room.pk
    return f"{ROOMS}{room_id}/invite/"


@pytest.fixture(autouse=True)
def _deliveries_in_process(settings: Any, celery_in_process: None) -> None:
    """The notification's delivery tasks run here; push is not configured (skipped)."""
    settings.FCM_SERVICE_ACCOUNT = None


@pytest.fixture
def inviter(user: User) -> User:
    user.first_name = "Jisoo"
    user.save(update_fields=["first_name"])
    return user


@pytest.fixture
def invitee(other_user: User) -> User:
    other_user.profile.preferred_language = "en"
    other_user.profile.save(update_fields=["preferred_language"])
    return other_user


@pytest.fixture
def invite(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> Callable[..., Any]:
    """`invite(user, room, body)`: the request, and what waits for its commit."""

    def _invite(user: User, room: StudyRoom | int, body: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return client_for(user).post(invite_url(room), body, format="json")

    return _invite


def invitations(user: User) -> list[Notification]:
    return list(Notification.objects.filter(user=user, kind="room_invitation"))


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code, error
    return error


def test_notifications_subscribe_to_the_invitation_event() -> None:
    assert "notifications.room_invitation" in [
        s.name for s in subscribers.for_event("RoomInvitation")
    ]


def test_a_member_invites_a_learner_who_can_then_join_the_private_room(
    invite: Any, inviter: User, invitee: User
) -> None:
    room = make_room(inviter, name="Exam prep", is_public=False)
    response = invite(inviter, room, {"email": invitee.email})
    assert response.status_code == 202, response.content

    [notification] = invitations(invitee)
    assert notification.title == "Jisoo invited you to “Exam prep”"
    assert notification.data["room_id"] == room.pk
    assert notification.data["room_name"] == "Exam prep"
    assert notification.data["invite_code"] == room.invite_code
    assert inviter.email not in notification.body
    assert not invitations(inviter)

    # What the notification carries is what joining the private room takes.
    joined = client_for(invitee).post(
        f"{ROOMS}{notification.data['room_id']}/join/",
        {"invite_code": notification.data["invite_code"]},
        format="json",
    )
    assert joined.status_code == 200, joined.content
    assert RoomMembership.objects.filter(room=room, user=invitee).exists()


def test_any_member_may_invite_and_a_public_room_needs_no_code(
    invite: Any, other_user: User, invitee: User
) -> None:
    owner = UserFactory.create()
    room = make_room(owner, is_public=True)
    member = UserFactory.create()
    add_member(room, member)
    response = invite(member, room, {"email": invitee.email.upper()})  # any case
    assert response.status_code == 202, response.content
    [notification] = invitations(invitee)
    assert notification.data["room_id"] == room.pk
    assert notification.data["invite_code"] is None


def test_inviting_again_does_not_notify_twice(invite: Any, inviter: User, invitee: User) -> None:
    room = make_room(inviter, is_public=False)
    for _attempt in range(3):
        assert invite(inviter, room, {"email": invitee.email}).status_code == 202
    [notification] = invitations(invitee)
    assert notification.dedup_key == f"room_invitation:room-{room.pk}"


def test_the_answer_is_the_same_whether_or_not_the_email_has_an_account(
    invite: Any, inviter: User, invitee: User
) -> None:
    room = make_room(inviter, is_public=False)
    known = invite(inviter, room, {"email": invitee.email})
    unknown = invite(inviter, room, {"email": "nobody-here@example.com"})
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    assert Notification.objects.filter(kind="room_invitation").count() == 1


def test_inactive_learners_and_members_are_not_notified(
    invite: Any, inviter: User, invitee: User
) -> None:
    room = make_room(inviter, is_public=False)
    gone = UserFactory.create(is_active=False)
    assert invite(inviter, room, {"email": gone.email}).status_code == 202
    add_member(room, invitee)
    assert invite(inviter, room, {"email": invitee.email}).status_code == 202
    assert not Notification.objects.filter(kind="room_invitation").exists()


def test_a_learner_not_in_the_room_cannot_invite(invite: Any, inviter: User, invitee: User) -> None:
    owner = UserFactory.create()
    private = make_room(owner, is_public=False)
    public = make_room(owner, is_public=True)
    _error(invite(inviter, private, {"email": invitee.email}), 404, "not_found")
    _error(invite(inviter, 999_999, {"email": invitee.email}), 404, "not_found")
    # A public room is visible to everyone, but only its members invite to it.
    _error(invite(inviter, public, {"email": invitee.email}), 403, "not_a_member")
    assert not Notification.objects.filter(kind="room_invitation").exists()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"email": ""},
        {"email": "not-an-email"},
        {"email": "a" * 250 + "@example.com"},
        {"email": ["x@example.com"]},
        {"email": "x@example.com", "room_id": 3},
        ["x@example.com"],
    ],
)
def test_bad_input_is_a_validation_error(invite: Any, inviter: User, body: Any) -> None:
    room = make_room(inviter, is_public=False)
    _error(invite(inviter, room, body), 400, "validation_error")
    assert not Notification.objects.exists()


def test_inviting_oneself_is_a_validation_error(invite: Any, inviter: User) -> None:
    room = make_room(inviter, is_public=False)
    error = _error(invite(inviter, room, {"email": inviter.email}), 400, "validation_error")
    assert "email" in error["fields"]


def test_invitations_are_rate_limited_per_inviter(
    invite: Any, inviter: User, invitee: User, settings: Any
) -> None:
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "room_invite": "2/hour"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    room = make_room(inviter, is_public=False)
    for _attempt in range(2):
        assert invite(inviter, room, {"email": "someone@example.com"}).status_code == 202
    limited = invite(inviter, room, {"email": invitee.email})
    _error(limited, 429, "throttled")
    assert int(limited["Retry-After"]) > 0
    assert not invitations(invitee)
    # Another member's invitations are counted apart.
    member = UserFactory.create()
    add_member(room, member)
    assert invite(member, room, {"email": invitee.email}).status_code == 202
    assert len(invitations(invitee)) == 1


def test_anonymous_requests_are_refused(api_client: Any, inviter: User) -> None:
    room = make_room(inviter)
    response = api_client.post(invite_url(room), {"email": "x@example.com"}, format="json")
    assert response.status_code == 401
