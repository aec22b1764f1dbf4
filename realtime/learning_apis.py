"""Learning session and streaming endpoints under /api/study/realtime/: thin views."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from studymate_api.core.errors import NotFound
from studymate_api.core.idempotency import idempotent
from studymate_api.core.locations import location
from studymate_api.core.permissions import IsStaff
from studymate_api.core.schema import raises
from studymate_api.core.serializers import validated
from studymate_api.streaming import StreamUnavailable

from .learning_serializers import (
    DashboardOutputSerializer,
    SessionIdInputSerializer,
    SessionReportOutputSerializer,
    SessionStatusOutputSerializer,
    StartSessionInputSerializer,
    StartSessionOutputSerializer,
    StreamingMetricsOutputSerializer,
    StreamingStatusOutputSerializer,
    session_status,
)
from .models import LearningSession
from .selectors import sessions as selectors
from .selectors.streaming import streaming_metrics, streaming_status
from .services import sessions as services
from .services.sessions import SessionAlreadyActive

if TYPE_CHECKING:
    from accounts.models import User


def _user(request: Request) -> User:
    # IsAuthenticated (the default permission) lets only signed-in users reach the views.
    return cast("User", request.user)


class StartSessionApi(APIView):
    @extend_schema(
        request=StartSessionInputSerializer,
        responses={
            201: StartSessionOutputSerializer,
            **raises(NotFound, SessionAlreadyActive),
        },
    )
    @idempotent
    def post(self, request: Request) -> Response:
        """Start a live learning session

        Answers 201 with the `session_id` and the `websocket_url` to open next: send the session's
        activity events there and receive live metrics and feedback. One active session per subject:
        409 `session_already_active` while one runs. The subject must be one you can see. A session
        left idle for 30 minutes ends by itself.
        """
        data = validated(StartSessionInputSerializer, request.data)
        session = services.learning_session_start(user=_user(request), **data)
        output = StartSessionOutputSerializer(session, context={"request": request})
        headers = location(request, "realtime:session-status", query={"session_id": session.pk})
        return Response(output.data, status=status.HTTP_201_CREATED, headers=headers)


class EndSessionApi(APIView):
    @extend_schema(
        request=SessionIdInputSerializer,
        responses={200: SessionReportOutputSerializer, **raises(NotFound)},
    )
    def post(self, request: Request) -> Response:
        """End a learning session

        Answers the session report (duration, focus, pace, efficiency, interruptions, feedback); its
        whole minutes are logged as study time in the subject. Ending a session that has ended
        already answers the same report.
        """
        data = validated(SessionIdInputSerializer, request.data)
        session = services.learning_session_end(user=_user(request), **data)
        return Response(SessionReportOutputSerializer(session).data)


class SessionStatusApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("session_id", str, required=True)],
        responses={200: SessionStatusOutputSerializer, **raises(NotFound)},
    )
    def get(self, request: Request) -> Response:
        """Get a learning session's status

        Live metrics and feedback (`live`) while the session is active; its `report` once it has
        ended.
        """
        data = validated(SessionIdInputSerializer, request.query_params.dict())
        session = selectors.learning_session_get(user=_user(request), **data)
        return Response(session_status(session, selectors.learning_session_live_state(session)))


class ActiveSessionsApi(ListAPIView[LearningSession]):
    queryset = LearningSession.objects.none()  # for the schema; requests use get_queryset
    serializer_class = SessionStatusOutputSerializer
    filter_backends = ()

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """List your active learning sessions

        Each with its live metrics and feedback.
        """
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        return selectors.learning_sessions_active_queryset(user=_user(self.request))

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        rows = [session_status(s, selectors.learning_session_live_state(s)) for s in page or []]
        return self.get_paginated_response(rows)


class DashboardApi(APIView):
    @extend_schema(responses={200: DashboardOutputSerializer})
    def get(self, request: Request) -> Response:
        """Get your learning dashboard

        Your active sessions with their live metrics, your last 10 ended sessions, the last 7 days'
        totals (sessions, minutes, average focus and efficiency) and your learner profile.
        """
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

    @extend_schema(
        responses={
            200: StreamingStatusOutputSerializer,
            **raises(StreamUnavailable),
        }
    )
    def get(self, request: Request) -> Response:
        """Get the activity stream's status (staff)

        The stream processor's view of the learning activity stream and its analyzer group. 503
        `service_unavailable` when the stream backend is down.
        """
        return Response(streaming_status())


class StreamingMetricsApi(APIView):
    permission_classes = (IsStaff,)

    @extend_schema(
        responses={
            200: StreamingMetricsOutputSerializer,
            **raises(StreamUnavailable),
        }
    )
    def get(self, request: Request) -> Response:
        """Get live analytics figures (staff)

        The analyzer's throughput, lag, pending and dead-lettered events and consumers, the active
        sessions, and the sessions ended in the last 24 hours with their average focus score. 503
        `service_unavailable` when the stream backend is down.
        """
        return Response(streaming_metrics())
