"""Notification endpoints: thin views over services and selectors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from studymate_api.core.serializers import validated

from . import selectors, services
from .models import Notification
from .serializers import (
    DeviceDeleteInputSerializer,
    DeviceInputSerializer,
    DeviceOutputSerializer,
    NotificationListQuerySerializer,
    NotificationOutputSerializer,
    PreferenceInputSerializer,
    PreferenceOutputSerializer,
    ReadAllOutputSerializer,
    UnreadCountOutputSerializer,
)

if TYPE_CHECKING:
    from accounts.models import User

NOT_FOUND = OpenApiResponse(description="`not_found`: none of yours has that id")


def _user(request: Request) -> User:
    # IsAuthenticated (the default permission) lets only signed-in users reach the views.
    return cast("User", request.user)


class NotificationListApi(ListAPIView[Notification]):
    """Your notifications, newest first; `unread=true` for only unread ones."""

    serializer_class = NotificationOutputSerializer
    queryset = Notification.objects.none()  # for the schema; requests use get_queryset
    filter_backends = ()

    @extend_schema(parameters=[NotificationListQuerySerializer])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        query = validated(NotificationListQuerySerializer, self.request.query_params.dict())
        return selectors.notification_list(user=_user(self.request), unread=query["unread"])


class NotificationReadApi(APIView):
    @extend_schema(request=None, responses={200: NotificationOutputSerializer, 404: NOT_FOUND})
    def post(self, request: Request, notification_id: int) -> Response:
        notification = services.notification_mark_read(
            user=_user(request), notification_id=notification_id
        )
        return Response(NotificationOutputSerializer(notification).data)


class NotificationReadAllApi(APIView):
    @extend_schema(request=None, responses={200: ReadAllOutputSerializer})
    def post(self, request: Request) -> Response:
        count = services.notification_mark_all_read(user=_user(request))
        return Response(ReadAllOutputSerializer({"marked_read": count}).data)


class UnreadCountApi(APIView):
    @extend_schema(responses={200: UnreadCountOutputSerializer})
    def get(self, request: Request) -> Response:
        count = selectors.notification_unread_count(user=_user(request))
        return Response(UnreadCountOutputSerializer({"unread_count": count}).data)


class PreferenceApi(APIView):
    @extend_schema(responses={200: PreferenceOutputSerializer})
    def get(self, request: Request) -> Response:
        preference = services.preference_ensure(user=_user(request))
        return Response(PreferenceOutputSerializer(preference).data)

    @extend_schema(
        request=PreferenceInputSerializer,
        responses={200: PreferenceOutputSerializer},
        description="Fields left out keep their values. `types`: `{kind: false}` turns a kind "
        "off, `{kind: {channel: bool}}` one channel of it. Quiet hours are local times in your "
        "profile's time zone, both or neither; `phone_number` in international format.",
    )
    def put(self, request: Request) -> Response:
        data = validated(PreferenceInputSerializer, request.data)
        preference = services.preference_update(user=_user(request), data=data)
        return Response(PreferenceOutputSerializer(preference).data)


class DeviceApi(APIView):
    @extend_schema(responses={200: DeviceOutputSerializer(many=True)})
    def get(self, request: Request) -> Response:
        devices = selectors.device_list(user=_user(request))
        return Response(DeviceOutputSerializer(devices, many=True).data)

    @extend_schema(
        request=DeviceInputSerializer,
        responses={201: DeviceOutputSerializer, 200: DeviceOutputSerializer},
        description="Idempotent per token: 201 when new, 200 when known (refreshed). A token "
        "registered by another account moves to yours.",
    )
    def post(self, request: Request) -> Response:
        data = validated(DeviceInputSerializer, request.data)
        device, created = services.device_register(user=_user(request), **data)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(DeviceOutputSerializer(device).data, status=code)

    @extend_schema(
        request=DeviceDeleteInputSerializer,
        responses={204: None, 404: NOT_FOUND},
        description="The token in the body (or `?token=`).",
    )
    def delete(self, request: Request) -> Response:
        source = request.data if request.data else request.query_params.dict()
        data = validated(DeviceDeleteInputSerializer, source)
        services.device_unregister(user=_user(request), token=data["token"])
        return Response(status=status.HTTP_204_NO_CONTENT)
