"""Learning session and streaming endpoints under /api/study/realtime/: thin views."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from studymate_api.core.permissions import IsStaff
from studymate_api.core.serializers import validated

from .learning_serializers import (
    SessionIdInputSerializer,
    SessionReportOutputSerializer,
    SessionStatusOutputSerializer,
    StartSessionInputSerializer,
    StartSessionOutputSerializer,
    session_status,
)
from .models import LearningSession
from .selectors import sessions as selectors
from .selectors.streaming import streaming_metrics, streaming_status
from .services import sessions as services

if TYPE_CHECKING:
    from accounts.models import User

_NOT_FOUND = OpenApiResponse(description="`not_found`: no such session of yours")


def _user(request: Request) -> User:
    # IsAuthenticated (the default permission) lets only signed-in users reach the views.
    return cast("User", request.user)


class StartSessionApi(APIView):
    @extend_schema(
        request=StartSessionInputSerializer,
        responses={
            201: StartSessionOutputSerializer,
            404: OpenApiResponse(description="`not_found`: no such subject"),
            409: OpenApiResponse(description="`session_already_active` for this subject"),
        },
    )
    def post(self, request: Request) -> Response:
        data = validated(StartSessionInputSerializer, request.data)
        session = services.learning_session_start(user=_user(request), **data)
        output = StartSessionOutputSerializer(session, context={"request": request})
        return Response(output.data, status=status.HTTP_201_CREATED)


class EndSessionApi(APIView):
    @extend_schema(
        request=SessionIdInputSerializer,
        responses={200: SessionReportOutputSerializer, 404: _NOT_FOUND},
    )
    def post(self, request: Request) -> Response:
        data = validated(SessionIdInputSerializer, request.data)
        session = services.learning_session_end(user=_user(request), **data)
        return Response(SessionReportOutputSerializer(session).data)


class SessionStatusApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("session_id", str, required=True)],
        responses={200: SessionStatusOutputSerializer, 404: _NOT_FOUND},
    )
    def get(self, request: Request) -> Response:
        data = validated(SessionIdInputSerializer, request.query_params.dict())
        session = selectors.learning_session_get(user=_user(request), **data)
        return Response(session_status(session, selectors.learning_session_live_state(session)))


class ActiveSessionsApi(ListAPIView[LearningSession]):
    """Your live sessions with their current metrics."""

    queryset = LearningSession.objects.none()  # for the schema; requests use get_queryset
    serializer_class = SessionStatusOutputSerializer
    filter_backends = ()

    def get_queryset(self) -> Any:
        return selectors.learning_sessions_active_queryset(user=_user(self.request))

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        rows = [session_status(s, selectors.learning_session_live_state(s)) for s in page or []]
        return self.get_paginated_response(rows)


class DashboardApi(APIView):
    @extend_schema(responses={200: OpenApiResponse(description="Live sessions, recent, totals")})
    def get(self, request: Request) -> Response:
        dashboard = selectors.learning_dashboard(user=_user(request))
        return Response(
            {
                "active_sessions": [
                    session_status(s, selectors.learning_session_live_state(s))
                    for s in dashboard["active_sessions"]
                ],
                "recent_sessions": SessionReportOutputSerializer(
                    dashboard["recent_sessions"], many=True
                ).data,
                "totals": dashboard["totals"].as_dict(),
                "profile": dashboard["profile"].as_dict(),
            }
        )


class StreamingStatusApi(APIView):
    permission_classes = (IsStaff,)

    @extend_schema(responses={200: OpenApiResponse(description="The activity stream's status")})
    def get(self, request: Request) -> Response:
        return Response(streaming_status())


class StreamingMetricsApi(APIView):
    permission_classes = (IsStaff,)

    @extend_schema(responses={200: OpenApiResponse(description="Live analytics figures")})
    def get(self, request: Request) -> Response:
        return Response(streaming_metrics())
