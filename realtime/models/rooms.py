"""Study rooms: learners who study together, their memberships and their chat.

Live state (who is online, the shared pomodoro timer, typing and focus) is not kept here but in
Redis or the cache (`realtime.services.room_presence`, `realtime.services.room_timer`): it
changes many times a second and must be shared by every server process.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

ROOM_NAME_MAX_LENGTH = 100
CHAT_MESSAGE_MAX_LENGTH = 1000
INVITE_CODE_LENGTH = 16


def new_invite_code() -> str:
    """A secret that grants entry to a private room: 16 characters of `token_urlsafe`
    (96 bits), unguessable and short enough to share by hand."""
    return secrets.token_urlsafe(12)


class StudyRoom(models.Model):
    name = models.CharField(_("name"), max_length=ROOM_NAME_MAX_LENGTH)
    subject = models.ForeignKey(
        "study.Subject",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="study_rooms",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="owned_study_rooms"
    )
    is_public = models.BooleanField(_("public"), default=True)
    invite_code = models.CharField(
        _("invite code"), max_length=INVITE_CODE_LENGTH, unique=True, default=new_invite_code
    )
    capacity = models.PositiveSmallIntegerField(_("capacity"), default=20)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=["is_public", "-created_at"], name="room_public_recent")]
        constraints = [
            models.CheckConstraint(condition=models.Q(capacity__gte=2), name="room_capacity_min"),
        ]

    def __str__(self) -> str:
        return self.name


class RoomMembership(models.Model):
    room = models.ForeignKey(StudyRoom, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="study_room_memberships"
    )
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["room", "user"], name="room_membership_unique"),
        ]
        indexes = [models.Index(fields=["user", "room"], name="room_membership_user")]

    def __str__(self) -> str:
        return f"{self.user_id} in room {self.room_id}"


class RoomMessage(models.Model):
    room = models.ForeignKey(StudyRoom, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="study_room_messages"
    )
    body = models.CharField(_("message"), max_length=CHAT_MESSAGE_MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("created_at", "id")
        indexes = [models.Index(fields=["room", "-created_at", "-id"], name="room_message_recent")]

    def __str__(self) -> str:
        return f"message {self.pk} in room {self.room_id}"
