"""Writes of study rooms: create, join, invite, leave, rotate the invite code, delete, post
chat.

Every change that open sockets must hear about (a member removed, a room deleted, a chat
message) goes to the room's channel-layer group with `realtime.broadcast.broadcast_on_commit`:
no client hears of a row that was rolled back, and every server process hears it.
"""

from __future__ import annotations

import hmac
import time
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from accounts.services.verification import user_ensure_may
from studymate_api.core.errors import ApplicationError, Conflict, ErrorCode, PermissionDenied
from studymate_api.core.errors import validation_failed as field_error

from ..broadcast import broadcast_on_commit
from ..events import ROOM_INVITATION
from ..models.rooms import (
    CHAT_MESSAGE_MAX_LENGTH,
    RoomMembership,
    RoomMessage,
    StudyRoom,
    new_invite_code,
)
from ..selectors.rooms import RoomNotFound, room_get, room_get_for_member, room_is_member

if TYPE_CHECKING:
    from accounts.models import User

# Events the room's sockets receive that also make the consumer close sockets.
MEMBER_REMOVED = "member_removed"
ROOM_CLOSED = "room_closed"

_RATE_UNITS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60}
_RATE_UNITS |= {"h": 3600, "hour": 3600, "d": 86400, "day": 86400}


class RoomFull(Conflict):
    code = ErrorCode.ROOM_FULL
    default_message = _("This study room is full.")


class OwnerCannotLeave(Conflict):
    code = ErrorCode.OWNER_CANNOT_LEAVE
    default_message = _("The owner cannot leave the room; delete it instead.")


class NotRoomOwner(PermissionDenied):
    default_message = _("Only the owner of the room can do this.")


class ChatRateLimited(ApplicationError):
    code = ErrorCode.RATE_LIMITED
    http_status = 429
    default_message = _("You are sending messages too fast. Wait a moment.")


def room_group(room_id: int) -> str:
    """The channel-layer group of a room's sockets, on every server process."""
    return f"study-room.{room_id}"


@transaction.atomic
def room_create(
    *,
    owner: User,
    name: str,
    is_public: bool = True,
    capacity: int = 20,
    subject_id: int | None = None,
) -> StudyRoom:
    """A new room; its owner is its first member."""
    subject = None
    if subject_id is not None:
        from study.selectors import subject_get  # the study domain's read API

        subject = subject_get(user=owner, subject_id=subject_id)
    room = StudyRoom.objects.create(
        name=name, owner=owner, is_public=is_public, capacity=capacity, subject=subject
    )
    RoomMembership.objects.create(room=room, user=owner)
    return room_get(user=owner, room_id=room.pk)


@transaction.atomic
def room_join(*, user: User, room_id: int, invite_code: str | None = None) -> StudyRoom:
    """Makes `user` a member. Public rooms admit anyone; private ones only with their invite
    code, and without it they stay invisible (404, like a room that does not exist). Joining a
    room one is in already changes nothing. The room row is locked so two last joiners cannot
    both take the last place."""
    room = StudyRoom.objects.select_for_update().filter(pk=room_id).first()
    if room is None:
        raise RoomNotFound()
    if RoomMembership.objects.filter(room=room, user=user).exists():
        return room_get(user=user, room_id=room_id)
    if not room.is_public and not _code_matches(room, invite_code):
        raise RoomNotFound()
    if RoomMembership.objects.filter(room=room).count() >= room.capacity:
        raise RoomFull()
    _add_member(room, user)
    return room_get(user=user, room_id=room_id)


def room_join_by_code(*, user: User, invite_code: str) -> StudyRoom:
    """Joins the room whose invite code this is (public or private)."""
    room_id = StudyRoom.objects.filter(invite_code=invite_code).values_list("pk", flat=True)
    found = room_id.first()
    if found is None:
        raise RoomNotFound()
    return room_join(user=user, room_id=found, invite_code=invite_code)


def room_invite(*, inviter: User, room_id: int, email: str) -> None:
    """A member of a room asks the learner with `email` to join it.

    The room must be one `inviter` is in (a private room they are not in is a 404, a public one
    a 403). The outcome is the same whether or not an account has that email, so inviting
    cannot be used to find out who has one: only an active learner who is not a member yet is
    told (RoomInvitation, `realtime.events`), with the room's id and, for a private room, its
    invite code (what lets them in). An account whose email is not verified may not invite
    (403 `permission_denied`, ACCOUNTS_UNVERIFIED_MAY_NOT)."""
    room = room_get_for_member(user=inviter, room_id=room_id)
    user_ensure_may(user=inviter, action="invite")  # after the room check: others' rooms 404
    address = email.strip()
    if address.lower() == inviter.email.strip().lower():
        raise field_error("email", _("You are already in this room."))
    invitee = get_user_model().objects.filter(email__iexact=address, is_active=True).first()
    if invitee is None or room_is_member(user_id=invitee.pk, room_id=room.pk):
        return
    ROOM_INVITATION.record(
        aggregate_id=room.pk,
        payload={
            "user_id": invitee.pk,
            "inviter_id": inviter.pk,
            "inviter": inviter.first_name or inviter.username,
            "room_id": room.pk,
            "room_name": room.name,
            "invite_code": None if room.is_public else room.invite_code,
        },
        user=inviter,
    )


@transaction.atomic
def room_leave(*, user: User, room_id: int) -> None:
    """Ends `user`'s membership; their open sockets in the room are closed."""
    room = room_get_for_member(user=user, room_id=room_id)
    if room.owner_id == user.pk:
        raise OwnerCannotLeave()
    RoomMembership.objects.filter(room_id=room_id, user=user).delete()
    removed = {"type": MEMBER_REMOVED, "user": {"id": user.pk, "username": user.username}}
    broadcast_on_commit(room_group(room_id), removed)


@transaction.atomic
def room_rotate_invite_code(*, user: User, room_id: int) -> StudyRoom:
    """A new invite code; the old one stops working at once. Members stay members."""
    room = _owned_room(user=user, room_id=room_id)
    StudyRoom.objects.filter(pk=room.pk).update(invite_code=new_invite_code())
    return room_get(user=user, room_id=room_id)


@transaction.atomic
def room_delete(*, user: User, room_id: int) -> None:
    """Deletes the room with its memberships and chat; every open socket in it is closed."""
    room = _owned_room(user=user, room_id=room_id)
    room.delete()
    broadcast_on_commit(room_group(room_id), {"type": ROOM_CLOSED, "room_id": room_id})


def room_message_post(*, user: User, room_id: int, body: str) -> RoomMessage:
    """Stores a chat message of a member and broadcasts it to the room.

    Limits: 1 to CHAT_MESSAGE_MAX_LENGTH characters after trimming, and
    REALTIME_ROOM_CHAT_RATE messages per learner and room, counted across all their tabs and
    server processes (a counter in the shared cache)."""
    text = body.strip()
    if not text:
        raise field_error("message", _("The message is empty."))
    if len(text) > CHAT_MESSAGE_MAX_LENGTH:
        too_long = _("Messages have at most %(limit)d characters.")
        raise field_error("message", too_long % {"limit": CHAT_MESSAGE_MAX_LENGTH})
    if not room_is_member(user_id=user.pk, room_id=room_id):
        room_get_for_member(user=user, room_id=room_id)  # raises the right error: 404 or 403
    _count_chat_message(user_id=user.pk, room_id=room_id)
    with transaction.atomic():
        message = RoomMessage.objects.create(room_id=room_id, author=user, body=text)
        broadcast_on_commit(room_group(room_id), message_event(message, user))
    return message


def message_event(message: RoomMessage, author: User) -> dict[str, Any]:
    """The `chat` event clients receive (and the REST history rows mirror)."""
    return {
        "type": "chat",
        "id": message.pk,
        "user": {"id": author.pk, "username": author.username},
        "message": message.body,
        "created_at": message.created_at.isoformat(),
    }


def chat_rate() -> tuple[int, int]:
    """(messages, per seconds) from REALTIME_ROOM_CHAT_RATE (validated at start)."""
    count, _sep, unit = str(settings.REALTIME_ROOM_CHAT_RATE).partition("/")
    return int(count), _RATE_UNITS[unit]


def _count_chat_message(*, user_id: int, room_id: int) -> None:
    limit, period = chat_rate()
    window = int(time.time() // period)
    key = f"realtime:room-chat-rate:{room_id}:{user_id}:{window}"
    cache.add(key, 0, timeout=period * 2)
    try:
        sent = cache.incr(key)
    except ValueError:  # evicted between add and incr: this is the window's first message
        cache.set(key, 1, timeout=period * 2)
        sent = 1
    if sent > limit:
        raise ChatRateLimited()


def _code_matches(room: StudyRoom, invite_code: str | None) -> bool:
    if not invite_code:
        return False
    return hmac.compare_digest(room.invite_code.encode(), invite_code.encode())


def _add_member(room: StudyRoom, user: User) -> None:
    try:
        with transaction.atomic():
            RoomMembership.objects.create(room=room, user=user)
    except IntegrityError:  # a concurrent join of the same user won; they are a member
        pass


def _owned_room(*, user: User, room_id: int) -> StudyRoom:
    room = room_get(user=user, room_id=room_id)
    if room.owner_id != user.pk:
        raise NotRoomOwner()
    return room
