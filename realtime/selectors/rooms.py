"""Reads of study rooms, with the visibility rule built in.

A learner sees public rooms and the rooms they are a member of. A private room they are not in
does not exist for them (404), whatever they try: retrieve, join without the right code, open
its socket.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from studymate_api.core.errors import ErrorCode, NotFound, PermissionDenied

from ..models.rooms import RoomMembership, RoomMessage, StudyRoom

if TYPE_CHECKING:
    from accounts.models import User

MESSAGE_HISTORY_LIMIT = 100


class RoomNotFound(NotFound):
    default_message = _("Study room not found.")


class NotARoomMember(PermissionDenied):
    code = ErrorCode.NOT_A_MEMBER
    default_message = _("Join the study room first.")


def _membership_of(user: User) -> Exists:
    return Exists(RoomMembership.objects.filter(room=OuterRef("pk"), user=user))


def room_list(*, user: User, mine: bool = False) -> QuerySet[StudyRoom]:
    """Public rooms and the rooms `user` is in (only the latter with `mine`), newest first.
    Annotated with `member_count` and `is_member`; one query whatever the page size."""
    rooms = StudyRoom.objects.annotate(is_member=_membership_of(user))
    rooms = rooms.filter(Q(is_member=True) if mine else Q(is_public=True) | Q(is_member=True))
    return _with_details(rooms).order_by("-created_at", "-id")


def room_get(*, user: User, room_id: int) -> StudyRoom:
    """A room `user` can see (public, or they are a member), annotated like `room_list`."""
    rooms = StudyRoom.objects.annotate(is_member=_membership_of(user))
    room = _with_details(rooms.filter(Q(is_public=True) | Q(is_member=True), pk=room_id)).first()
    if room is None:
        raise RoomNotFound()
    return room


def room_get_for_member(*, user: User, room_id: int) -> StudyRoom:
    """A room `user` is a member of. A public room they have not joined is a 403 (it is visible
    to them anyway); a private one is a 404."""
    # Lighter than room_get (no member count): every chat message and socket comes here.
    rooms = StudyRoom.objects.annotate(is_member=_membership_of(user))
    room = rooms.filter(Q(is_public=True) | Q(is_member=True), pk=room_id).first()
    if room is None:
        raise RoomNotFound()
    if not getattr(room, "is_member", False):
        raise NotARoomMember()
    return room


def room_is_member(*, user_id: int, room_id: int) -> bool:
    return RoomMembership.objects.filter(room_id=room_id, user_id=user_id).exists()


def room_message_list(
    *, user: User, room_id: int, limit: int = MESSAGE_HISTORY_LIMIT
) -> list[RoomMessage]:
    """The last `limit` messages of a room `user` is in, oldest first."""
    room_get_for_member(user=user, room_id=room_id)
    newest = (
        RoomMessage.objects.filter(room_id=room_id)
        .select_related("author")
        .order_by("-created_at", "-id")[:limit]
    )
    return list(reversed(newest))


def _with_details(rooms: QuerySet[StudyRoom]) -> QuerySet[StudyRoom]:
    return rooms.select_related("owner", "subject").annotate(
        member_count=Count("memberships", distinct=True)
    )
