"""Notification endpoints: thin views over services and selectors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from studymate_api.core.conditional import etag_cached
from studymate_api.core.errors import NotFound, ValidationFailed
from studymate_api.core.locations import location
from studymate_api.core.schema import raises
from studymate_api.core.serializers import validated
from studymate_api.core.throttling import AnonThrottle

from . import selectors, services
from .caching import preferences_tag
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
    UnsubscribeOutputSerializer,
)

if TYPE_CHECKING:
    from accounts.models import User


def _user(request: Request) -> User:
    # IsAuthenticated (the default permission) lets only signed-in users reach the views.
    return cast("User", request.user)


class NotificationListApi(ListAPIView[Notification]):
    serializer_class = NotificationOutputSerializer
    queryset = Notification.objects.none()  # for the schema; requests use get_queryset
    filter_backends = ()

    @extend_schema(parameters=[NotificationListQuerySerializer])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """List your notifications

        Newest first; `unread=true` for only the unread ones, `unread=false` for only the read ones.
        """
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        query = validated(NotificationListQuerySerializer, self.request.query_params.dict())
        return selectors.notification_list(user=_user(self.request), unread=query["unread"])


class NotificationReadApi(APIView):
    @extend_schema(request=None, responses={200: NotificationOutputSerializer, **raises(NotFound)})
    def post(self, request: Request, notification_id: int) -> Response:
        """Mark a notification as read

        Answers the notification with its `read_at`.
        """
        notification = services.notification_mark_read(
            user=_user(request), notification_id=notification_id
        )
        return Response(NotificationOutputSerializer(notification).data)


class NotificationReadAllApi(APIView):
    @extend_schema(request=None, responses={200: ReadAllOutputSerializer})
    def post(self, request: Request) -> Response:
        """Mark all your notifications as read

        Answers how many were unread.
        """
        count = services.notification_mark_all_read(user=_user(request))
        return Response(ReadAllOutputSerializer({"marked_read": count}).data)


class UnreadCountApi(APIView):
    @extend_schema(responses={200: UnreadCountOutputSerializer})
    def get(self, request: Request) -> Response:
        """Count your unread notifications"""
        count = selectors.notification_unread_count(user=_user(request))
        return Response(UnreadCountOutputSerializer({"unread_count": count}).data)


class PreferenceApi(APIView):
    @extend_schema(responses={200: PreferenceOutputSerializer})
    @etag_cached(tags=lambda request: [preferences_tag(_user(request).pk)])
    def get(self, request: Request) -> Response:
        """Read your notification preferences

        Created with the defaults on first read.
        """
        preference = services.preference_ensure(user=_user(request))
        return Response(PreferenceOutputSerializer(preference).data)

    @extend_schema(
        request=PreferenceInputSerializer,
        responses={200: PreferenceOutputSerializer},
    )
    def put(self, request: Request) -> Response:
        """Update your notification preferences

        Fields left out keep their values. `types`: `{kind: false}` turns a kind off,
        `{kind: {channel: bool}}` one channel of it. Quiet hours are local times in your profile's
        time zone, both or neither (both null: no quiet hours); `phone_number` in international
        format (`+821012345678`), for SMS.
        """
        return self._update(request)

    @extend_schema(
        request=PreferenceInputSerializer,
        responses={200: PreferenceOutputSerializer},
    )
    def patch(self, request: Request) -> Response:
        """Update some of your notification preferences

        The same body and rules as PUT: only the fields sent change.
        """
        return self._update(request)

    def _update(self, request: Request) -> Response:
        data = validated(PreferenceInputSerializer, request.data)
        preference = services.preference_update(user=_user(request), data=data)
        return Response(PreferenceOutputSerializer(preference).data)


class DeviceApi(APIView):
    @extend_schema(responses={200: DeviceOutputSerializer(many=True)})
    def get(self, request: Request) -> Response:
        """List your push devices"""
        devices = selectors.device_list(user=_user(request))
        return Response(DeviceOutputSerializer(devices, many=True).data)

    @extend_schema(
        request=DeviceInputSerializer,
        responses={201: DeviceOutputSerializer, 200: DeviceOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        """Register a device for push notifications

        Send the FCM registration token of the app install and its `platform`. Idempotent per token:
        201 when new, 200 when known (refreshed and reactivated). A token registered by another
        account moves to yours.
        """
        data = validated(DeviceInputSerializer, request.data)
        device, created = services.device_register(user=_user(request), **data)
        body = DeviceOutputSerializer(device).data
        if not created:
            return Response(body)
        # A device has no URL of its own (its token is not for URLs): the list that holds it.
        headers = location(request, "notifications:devices")
        return Response(body, status=status.HTTP_201_CREATED, headers=headers)

    @extend_schema(
        request=DeviceDeleteInputSerializer,
        # OpenAPI drops DELETE bodies, so generated clients send the token in the query.
        parameters=[
            OpenApiParameter(
                "token", str, description="The device token to unregister (or in the body)."
            )
        ],
        responses={204: None, **raises(ValidationFailed, NotFound)},
    )
    def delete(self, request: Request) -> Response:
        """Unregister a push device

        The token goes in the body (or `?token=`); an unknown token, or another account's, is
        404. Answers 204.
        """
        source = request.data if request.data else request.query_params.dict()
        data = validated(DeviceDeleteInputSerializer, source)
        services.device_unregister(user=_user(request), token=data["token"])
        return Response(status=status.HTTP_204_NO_CONTENT)


_TOKEN = OpenApiParameter(
    "token", str, required=True, description="The signed token of the List-Unsubscribe link."
)


class UnsubscribeApi(APIView):
    """The List-Unsubscribe link of bulk email (RFC 8058): no sign-in, the signed token is the
    authority. Only POST changes anything: mail scanners and previews fetch links with GET."""

    permission_classes = (AllowAny,)
    authentication_classes = ()
    throttle_classes = (AnonThrottle,)

    @extend_schema(
        parameters=[_TOKEN],
        responses={200: UnsubscribeOutputSerializer, **raises(ValidationFailed)},
    )
    def get(self, request: Request) -> Response:
        """See what an unsubscribe link turns off

        Changes nothing: answers the kind of email the link is for and whether it is on now.
        A tampered, expired or unknown link: 400 `validation_error` on `token`.
        """
        status_ = selectors.unsubscribe_status(token=request.query_params.get("token", ""))
        return Response(UnsubscribeOutputSerializer(status_).data)

    @extend_schema(
        parameters=[_TOKEN],
        request=None,
        responses={200: UnsubscribeOutputSerializer, **raises(ValidationFailed)},
    )
    def post(self, request: Request) -> Response:
        """Unsubscribe from one kind of email (one-click)

        What a mail provider sends for RFC 8058 one-click, a form body
        `List-Unsubscribe=One-Click` (the body is not needed: the token decides). Turns email off
        for the link's kind (`types.<kind>.email` in the preferences); other kinds and channels
        stay as they are. Repeating it is harmless. A bad link: 400 `validation_error`, nothing
        changes.
        """
        kind, _preference = services.preference_unsubscribe(
            token=request.query_params.get("token", "")
        )
        return Response(UnsubscribeOutputSerializer({"kind": kind, "email_enabled": False}).data)
