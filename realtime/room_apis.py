"""Study room endpoints under /api/study/realtime/rooms/: thin views over services/selectors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from studymate_api.core.serializers import validated
from studymate_api.core.throttling import UserThrottle

from .models.rooms import StudyRoom
from .room_serializers import (
    RoomCreateInputSerializer,
    RoomInviteInputSerializer,
    RoomJoinByCodeInputSerializer,
    RoomJoinInputSerializer,
    RoomListQuerySerializer,
    RoomMessageOutputSerializer,
    RoomOutputSerializer,
)
from .selectors import rooms as selectors
from .services import rooms as services

if TYPE_CHECKING:
    from accounts.models import User

_NOT_FOUND = OpenApiResponse(
    description="`not_found`: no such room, or a private one you are not in"
)
_NOT_MEMBER = OpenApiResponse(description="`not_a_member`: a public room you have not joined")
_NOT_OWNER = OpenApiResponse(description="`permission_denied`: only the owner can do this")


def _user(request: Request) -> User:
    # IsAuthenticated (the default permission) lets only signed-in users reach the views.
    return cast("User", request.user)


def _room_response(request: Request, room: StudyRoom, code: int = status.HTTP_200_OK) -> Response:
    return Response(RoomOutputSerializer(room, context={"request": request}).data, status=code)


class RoomListApi(ListAPIView[StudyRoom]):
    """Public rooms and the rooms you are in, newest first (`?mine=true`: only yours)."""

    serializer_class = RoomOutputSerializer
    queryset = StudyRoom.objects.none()  # for the schema; requests use get_queryset
    filter_backends = ()

    @extend_schema(parameters=[RoomListQuerySerializer])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        query = validated(RoomListQuerySerializer, self.request.query_params.dict())
        return selectors.room_list(user=_user(self.request), mine=query["mine"])

    @extend_schema(
        request=RoomCreateInputSerializer,
        responses={201: RoomOutputSerializer, 404: OpenApiResponse(description="no such subject")},
    )
    def post(self, request: Request) -> Response:
        data = validated(RoomCreateInputSerializer, request.data)
        room = services.room_create(owner=_user(request), **data)
        return _room_response(request, room, status.HTTP_201_CREATED)


class RoomDetailApi(APIView):
    @extend_schema(responses={200: RoomOutputSerializer, 404: _NOT_FOUND})
    def get(self, request: Request, room_id: int) -> Response:
        return _room_response(request, selectors.room_get(user=_user(request), room_id=room_id))

    @extend_schema(responses={204: None, 403: _NOT_OWNER, 404: _NOT_FOUND})
    def delete(self, request: Request, room_id: int) -> Response:
        services.room_delete(user=_user(request), room_id=room_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RoomJoinApi(APIView):
    @extend_schema(
        request=RoomJoinInputSerializer,
        responses={
            200: RoomOutputSerializer,
            404: _NOT_FOUND,
            409: OpenApiResponse(description="`room_full`"),
        },
        description="Public rooms admit anyone; private rooms need their `invite_code`.",
    )
    def post(self, request: Request, room_id: int) -> Response:
        data = validated(RoomJoinInputSerializer, request.data)
        room = services.room_join(
            user=_user(request), room_id=room_id, invite_code=data.get("invite_code") or None
        )
        return _room_response(request, room)


class RoomJoinByCodeApi(APIView):
    @extend_schema(
        operation_id="study_realtime_rooms_join_by_code",
        request=RoomJoinByCodeInputSerializer,
        responses={200: RoomOutputSerializer, 404: _NOT_FOUND, 409: OpenApiResponse()},
        description="Joins the room an invite code belongs to.",
    )
    def post(self, request: Request) -> Response:
        data = validated(RoomJoinByCodeInputSerializer, request.data)
        room = services.room_join_by_code(user=_user(request), invite_code=data["invite_code"])
        return _room_response(request, room)


class RoomInviteThrottle(UserThrottle):
    """Invitations per inviter (rate `room_invite`, THROTTLE_ROOM_INVITE_RATE): each one may
    send someone a notification, so they are counted apart from the general user rate."""

    scope = "room_invite"


class RoomInviteApi(APIView):
    throttle_classes = (UserThrottle, RoomInviteThrottle)

    @extend_schema(
        request=RoomInviteInputSerializer,
        responses={
            202: OpenApiResponse(description="Accepted, whether or not the email has an account"),
            400: OpenApiResponse(description="`validation_error`: not an email, or your own"),
            403: _NOT_MEMBER,
            404: _NOT_FOUND,
            429: OpenApiResponse(description="`throttled`: too many invitations"),
        },
        description=(
            "Invites a learner by email into a room you are in. The answer is the same whether "
            "or not an account has the email; a learner who has one (and is not in the room) "
            "gets a `room_invitation` notification with the room's id and, for a private room, "
            "its invite code."
        ),
    )
    def post(self, request: Request, room_id: int) -> Response:
        data = validated(RoomInviteInputSerializer, request.data)
        services.room_invite(inviter=_user(request), room_id=room_id, email=data["email"])
        detail = _("If a learner has this email, they have been invited.")
        return Response({"detail": detail}, status=status.HTTP_202_ACCEPTED)


class RoomLeaveApi(APIView):
    @extend_schema(
        request=None,
        responses={
            204: None,
            403: _NOT_MEMBER,
            404: _NOT_FOUND,
            409: OpenApiResponse(description="`owner_cannot_leave`"),
        },
    )
    def post(self, request: Request, room_id: int) -> Response:
        services.room_leave(user=_user(request), room_id=room_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RoomRotateInviteCodeApi(APIView):
    @extend_schema(
        request=None,
        responses={200: RoomOutputSerializer, 403: _NOT_OWNER, 404: _NOT_FOUND},
        description="A new invite code; the old one stops working.",
    )
    def post(self, request: Request, room_id: int) -> Response:
        room = services.room_rotate_invite_code(user=_user(request), room_id=room_id)
        return _room_response(request, room)


class RoomMessageListApi(APIView):
    @extend_schema(
        responses={200: RoomMessageOutputSerializer(many=True), 403: _NOT_MEMBER, 404: _NOT_FOUND},
        description="The last 100 chat messages of a room you are in, oldest first.",
    )
    def get(self, request: Request, room_id: int) -> Response:
        messages = selectors.room_message_list(user=_user(request), room_id=room_id)
        return Response(RoomMessageOutputSerializer(messages, many=True).data)
