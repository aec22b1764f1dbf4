"""Input and output serializers of the study room endpoints."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from studymate_api.core.serializers import StrictInputSerializer

from .models.rooms import (
    CHAT_MESSAGE_MAX_LENGTH,
    INVITE_CODE_LENGTH,
    ROOM_NAME_MAX_LENGTH,
    RoomMessage,
    StudyRoom,
)

MAX_CAPACITY = 200


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Private room for a study group",
            value={
                "name": "수능 수학 새벽 스터디",
                "subject_id": 12,
                "is_public": False,
                "capacity": 6,
            },
            request_only=True,
        ),
        OpenApiExample(
            "Public room",
            value={"name": "Quiet reading room"},
            request_only=True,
        ),
    ]
)
class RoomCreateInputSerializer(StrictInputSerializer):
    read_names = {"subject_id": "subject"}

    name = serializers.CharField(max_length=ROOM_NAME_MAX_LENGTH)
    subject_id = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    is_public = serializers.BooleanField(required=False, default=True)
    capacity = serializers.IntegerField(
        min_value=2, max_value=MAX_CAPACITY, required=False, default=20
    )


@extend_schema_serializer(
    examples=[
        OpenApiExample("A public room", value={}, request_only=True),
        OpenApiExample(
            "A private room", value={"invite_code": "q3V9xK2mPz7Lw0Ab"}, request_only=True
        ),
    ]
)
class RoomJoinInputSerializer(StrictInputSerializer):
    invite_code = serializers.CharField(
        max_length=INVITE_CODE_LENGTH, required=False, allow_blank=True
    )


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Invite code",
            value={"invite_code": "q3V9xK2mPz7Lw0Ab"},
            request_only=True,
        )
    ]
)
class RoomJoinByCodeInputSerializer(StrictInputSerializer):
    invite_code = serializers.CharField(max_length=INVITE_CODE_LENGTH)


@extend_schema_serializer(
    examples=[
        OpenApiExample("A classmate", value={"email": "jiwoo.park@example.com"}, request_only=True)
    ]
)
class RoomInviteInputSerializer(StrictInputSerializer):
    email = serializers.EmailField(max_length=254)


class RoomListQuerySerializer(serializers.Serializer[Any]):
    mine = serializers.BooleanField(
        required=False, default=False, help_text="Only the rooms you are a member of."
    )


class RoomOwnerSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    username = serializers.CharField()


class RoomSubjectSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class RoomOutputSerializer(serializers.ModelSerializer[StudyRoom]):
    owner = RoomOwnerSerializer(read_only=True)
    subject = RoomSubjectSerializer(read_only=True, allow_null=True)
    member_count = serializers.IntegerField(read_only=True)
    is_member = serializers.BooleanField(read_only=True)
    is_owner = serializers.SerializerMethodField()
    invite_code = serializers.SerializerMethodField(
        help_text="Only for members (null otherwise): it is what lets others in."
    )
    websocket_url = serializers.SerializerMethodField()

    class Meta:
        model = StudyRoom
        fields = (
            "id",
            "name",
            "subject",
            "owner",
            "is_public",
            "capacity",
            "member_count",
            "is_member",
            "is_owner",
            "invite_code",
            "websocket_url",
            "created_at",
        )
        read_only_fields = fields

    def _user_id(self) -> int | None:
        request = self.context.get("request")
        return getattr(getattr(request, "user", None), "pk", None)

    def get_is_owner(self, room: StudyRoom) -> bool:
        return room.owner_id == self._user_id()

    def get_invite_code(self, room: StudyRoom) -> str | None:
        return room.invite_code if getattr(room, "is_member", False) else None

    def get_websocket_url(self, room: StudyRoom) -> str:
        return f"/ws/study/room/{room.pk}/"


class RoomMessageOutputSerializer(serializers.ModelSerializer[RoomMessage]):
    user = serializers.SerializerMethodField()
    message = serializers.CharField(source="body", max_length=CHAT_MESSAGE_MAX_LENGTH)

    class Meta:
        model = RoomMessage
        fields = ("id", "user", "message", "created_at")
        read_only_fields = fields

    def get_user(self, message: RoomMessage) -> dict[str, Any]:
        return {"id": message.author_id, "username": message.author.username}


class RoomInviteOutputSerializer(serializers.Serializer[Any]):
    detail = serializers.CharField(
        help_text="The same whether or not a learner has the email, so it reveals no accounts."
    )
