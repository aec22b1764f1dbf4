from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .broadcast import broadcast_on_commit
from .models import LearningSession, RoomMembership, RoomMessage, StudyRoom
from .models.rooms import new_invite_code
from .services.rooms import MEMBER_REMOVED, ROOM_CLOSED, room_group


@admin.register(LearningSession)
class LearningSessionAdmin(admin.ModelAdmin[LearningSession]):
    list_display = (
        "id",
        "user",
        "subject",
        "status",
        "end_reason",
        "started_at",
        "duration_minutes",
        "focus_score",
        "efficiency",
    )
    list_filter = ("status", "end_reason")
    search_fields = ("id", "user__email", "subject__name")
    list_select_related = ("user", "subject")
    raw_id_fields = ("user", "subject")
    readonly_fields = ("feedback",)


# --- study rooms ------------------------------------------------------------------------------
# Deleting here closes the sockets concerned, as the services do: a removed member or a deleted
# room must not keep a live connection.


class RoomMembershipInline(admin.TabularInline[RoomMembership, StudyRoom]):
    model = RoomMembership
    extra = 0
    raw_id_fields = ("user",)
    readonly_fields = ("joined_at",)


@admin.register(StudyRoom)
class StudyRoomAdmin(admin.ModelAdmin[StudyRoom]):
    list_display = ("id", "name", "owner", "is_public", "capacity", "members", "created_at")
    list_filter = ("is_public",)
    search_fields = ("id", "name", "owner__email", "invite_code")
    list_select_related = ("owner", "subject")
    raw_id_fields = ("owner", "subject")
    readonly_fields = ("invite_code", "created_at", "updated_at")
    inlines = (RoomMembershipInline,)
    actions = ("rotate_invite_codes",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[StudyRoom]:
        return super().get_queryset(request).annotate(member_total=Count("memberships"))

    @admin.display(description=_("members"), ordering="member_total")
    def members(self, room: StudyRoom) -> int:
        return int(getattr(room, "member_total", 0))

    @admin.action(description=_("Rotate the invite code of the selected rooms"))
    def rotate_invite_codes(self, request: HttpRequest, queryset: QuerySet[StudyRoom]) -> None:
        """A new code for each (the old one stops working at once); members stay members."""
        with transaction.atomic():
            rooms = list(queryset.values_list("pk", flat=True))
            for room_id in rooms:
                StudyRoom.objects.filter(pk=room_id).update(invite_code=new_invite_code())
        message = ngettext(
            "Rotated the invite code of %(count)d room.",
            "Rotated the invite codes of %(count)d rooms.",
            len(rooms),
        )
        self.message_user(request, message % {"count": len(rooms)}, messages.SUCCESS)

    def delete_model(self, request: HttpRequest, obj: StudyRoom) -> None:
        with transaction.atomic():
            room_id = obj.pk
            super().delete_model(request, obj)
            _close_room(room_id)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[StudyRoom]) -> None:
        with transaction.atomic():
            room_ids = list(queryset.values_list("pk", flat=True))
            super().delete_queryset(request, queryset)
            for room_id in room_ids:
                _close_room(room_id)


@admin.register(RoomMembership)
class RoomMembershipAdmin(admin.ModelAdmin[RoomMembership]):
    list_display = ("id", "room", "user", "joined_at")
    search_fields = ("room__name", "user__email", "user__username")
    list_select_related = ("room", "user")
    raw_id_fields = ("room", "user")
    readonly_fields = ("joined_at",)

    def delete_model(self, request: HttpRequest, obj: RoomMembership) -> None:
        with transaction.atomic():
            super().delete_model(request, obj)
            _remove_member(obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[RoomMembership]) -> None:
        with transaction.atomic():
            removed = list(queryset.select_related("user"))
            super().delete_queryset(request, queryset)
            for membership in removed:
                _remove_member(membership)


@admin.register(RoomMessage)
class RoomMessageAdmin(admin.ModelAdmin[RoomMessage]):
    """Moderation: staff read and delete chat messages; they never write or edit one."""

    list_display = ("id", "room", "author", "excerpt", "created_at")
    search_fields = ("body", "room__name", "author__email", "author__username")
    list_select_related = ("room", "author")
    readonly_fields = ("room", "author", "body", "created_at")
    date_hierarchy = "created_at"

    @admin.display(description=_("message"))
    def excerpt(self, message: RoomMessage) -> str:
        return Truncator(message.body).chars(80)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _close_room(room_id: int) -> None:
    broadcast_on_commit(room_group(room_id), {"type": ROOM_CLOSED, "room_id": room_id})


def _remove_member(membership: RoomMembership) -> None:
    user = membership.user
    removed = {"type": MEMBER_REMOVED, "user": {"id": user.pk, "username": user.username}}
    broadcast_on_commit(room_group(membership.room_id), removed)
