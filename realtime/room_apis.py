"""Study room endpoints under /api/study/realtime/rooms/: thin views over services/selectors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from studymate_api.core.errors import NotFound, PermissionDenied
from studymate_api.core.idempotency import idempotent
from studymate_api.core.locations import location
from studymate_api.core.schema import raises
from studymate_api.core.serializers import validated
from studymate_api.core.throttling import UserThrottle

from .models.rooms import StudyRoom
from .room_serializers import (
    RoomCreateInputSerializer,
    RoomInviteInputSerializer,
    RoomInviteOutputSerializer,
    RoomJoinByCodeInputSerializer,
    RoomJoinInputSerializer,
    RoomListQuerySerializer,
    RoomMessageOutputSerializer,
    RoomOutputSerializer,
)
from .selectors import rooms as selectors
from .selectors.rooms import NotARoomMember, RoomNotFound
from .services import rooms as services
from .services.rooms import NotRoomOwner, OwnerCannotLeave, RoomFull

if TYPE_CHECKING:
    from accounts.models import User


def _user(request: Request) -> User:
    # IsAuthenticated (the default permission) lets only signed-in users reach the views.
    return cast("User", request.user)


def _room_response(request: Request, room: StudyRoom, code: int = status.HTTP_200_OK) -> Response:
    return Response(RoomOutputSerializer(room, context={"request": request}).data, status=code)


class RoomListApi(ListAPIView[StudyRoom]):
    serializer_class = RoomOutputSerializer
    queryset = StudyRoom.objects.none()  # for the schema; requests use get_queryset
    filter_backends = ()

    @extend_schema(parameters=[RoomListQuerySerializer])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """List study rooms

        Public rooms and the rooms you are in, newest first (`?mine=true`: only the rooms you are
        in).
        """
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        query = validated(RoomListQuerySerializer, self.request.query_params.dict())
        return selectors.room_list(user=_user(self.request), mine=query["mine"])

    @extend_schema(
        request=RoomCreateInputSerializer,
        responses={201: RoomOutputSerializer, **raises(NotFound)},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        """Create a study room

        You own the room and are its first member. A private room (`is_public: false`) is invisible
        to others until they join with its `invite_code`, which the answer carries. Connect to
        `websocket_url` for presence, chat and the shared timer. Answers 201.
        """
        data = validated(RoomCreateInputSerializer, request.data)
        room = services.room_create(owner=_user(request), **data)
        body = RoomOutputSerializer(room, context={"request": request}).data
        headers = location(request, "realtime:room", room_id=room.pk)
        return Response(body, status=status.HTTP_201_CREATED, headers=headers)


class RoomDetailApi(APIView):
    @extend_schema(responses={200: RoomOutputSerializer, **raises(RoomNotFound)})
    def get(self, request: Request, room_id: int) -> Response:
        """Get a study room

        A public room or one you are in; `invite_code` only for members.
        """
        return _room_response(request, selectors.room_get(user=_user(request), room_id=room_id))

    @extend_schema(responses={204: None, **raises(NotRoomOwner, RoomNotFound)})
    def delete(self, request: Request, room_id: int) -> Response:
        """Delete a study room

        Owner only (403 otherwise). Its memberships and chat go with it, and every open socket in it
        is closed.
        """
        services.room_delete(user=_user(request), room_id=room_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RoomJoinApi(APIView):
    @extend_schema(
        request=RoomJoinInputSerializer,
        responses={
            200: RoomOutputSerializer,
            **raises(RoomNotFound, RoomFull),
        },
    )
    def post(self, request: Request, room_id: int) -> Response:
        """Join a study room

        Public rooms admit anyone; a private room needs its `invite_code`, and without the right one
        it answers 404 like a room that does not exist. 409 `room_full` at capacity. Joining a room
        you are in already changes nothing.
        """
        data = validated(RoomJoinInputSerializer, request.data)
        room = services.room_join(
            user=_user(request), room_id=room_id, invite_code=data.get("invite_code") or None
        )
        return _room_response(request, room)


class RoomJoinByCodeApi(APIView):
    @extend_schema(
        operation_id="study_realtime_rooms_join_by_code",
        request=RoomJoinByCodeInputSerializer,
        responses={200: RoomOutputSerializer, **raises(RoomNotFound, RoomFull)},
    )
    def post(self, request: Request) -> Response:
        """Join a study room by its invite code

        Joins the room, public or private, that the code belongs to; an unknown code is 404, a full
        room 409 `room_full`.
        """
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
            202: RoomInviteOutputSerializer,
            **raises(NotARoomMember, PermissionDenied, RoomNotFound),
        },
    )
    @idempotent
    def post(self, request: Request, room_id: int) -> Response:
        """Invite a learner to a study room

        Invites a learner by email into a room you are in. The answer is the same whether or not an
        account has the email; a learner who has one (and is not in the room) gets a
        `room_invitation` notification with the room's id and, for a private room, its invite code.
        Until your email address is verified: 403 `permission_denied`.
        """
        data = validated(RoomInviteInputSerializer, request.data)
        services.room_invite(inviter=_user(request), room_id=room_id, email=data["email"])
        detail = _("If a learner has this email, they have been invited.")
        # No invitation resource to point at: the room the learner was invited into.
        headers = location(request, "realtime:room", room_id=room_id)
        return Response({"detail": detail}, status=status.HTTP_202_ACCEPTED, headers=headers)


class RoomLeaveApi(APIView):
    @extend_schema(
        request=None,
        responses={
            204: None,
            **raises(NotARoomMember, RoomNotFound, OwnerCannotLeave),
        },
    )
    def post(self, request: Request, room_id: int) -> Response:
        """Leave a study room

        Your open sockets in the room are closed and the members are told. The owner cannot leave
        (409 `owner_cannot_leave`): delete the room instead.
        """
        services.room_leave(user=_user(request), room_id=room_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RoomRotateInviteCodeApi(APIView):
    @extend_schema(
        request=None,
        responses={200: RoomOutputSerializer, **raises(NotRoomOwner, RoomNotFound)},
    )
    def post(self, request: Request, room_id: int) -> Response:
        """Replace a study room's invite code

        Owner only. The old code stops working at once; members stay members. Answers the room with
        its new `invite_code`.
        """
        room = services.room_rotate_invite_code(user=_user(request), room_id=room_id)
        return _room_response(request, room)


class RoomMessageListApi(APIView):
    @extend_schema(
        responses={
            200: RoomMessageOutputSerializer(many=True),
            **raises(NotARoomMember, RoomNotFound),
        },
    )
    def get(self, request: Request, room_id: int) -> Response:
        """List a study room's recent chat messages

        The last 100 chat messages of a room you are in, oldest first; new ones arrive on the room's
        socket.
        """
        messages = selectors.room_message_list(user=_user(request), room_id=room_id)
        return Response(RoomMessageOutputSerializer(messages, many=True).data)
