"""Study endpoints: thin views over services and selectors.

Subjects and progress lists answer cached plain rows (see `pages.py`); the other lists are DRF
generic lists over selectors.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, cast

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.fields import Field
from rest_framework.generics import ListAPIView
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from studymate_api.core.serializers import validated

from . import selectors, services
from .models import StudyGoal, StudySummary
from .pages import page_of_rows, page_request, page_response
from .serializers import (
    GoalCreateInputSerializer,
    GoalListQuerySerializer,
    GoalOutputSerializer,
    GoalUpdateInputSerializer,
    PopularSubjectPageSerializer,
    ProgressLogInputSerializer,
    ProgressOutputSerializer,
    ProgressPageSerializer,
    StudySettingsInputSerializer,
    StudySettingsOutputSerializer,
    SubjectInputSerializer,
    SubjectListQuerySerializer,
    SubjectOutputSerializer,
    SubjectPageSerializer,
    SummaryListQuerySerializer,
    SummaryOutputSerializer,
    SummaryRequestInputSerializer,
)
from .sse import event_stream_response, sse_message

if TYPE_CHECKING:
    from accounts.models import User

PAGE_PARAMETERS = [
    OpenApiParameter("page", int, description="Page number, from 1."),
    OpenApiParameter("page_size", int, description="Items per page, at most 100."),
]


def _query_values(
    fields: Mapping[str, Field[Any, Any, Any, Any]], request: Request
) -> dict[str, Any]:
    """Query parameters validated by fields bound once at import: the hot list endpoints skip
    building a serializer (and deep-copying its fields) per request. Others are ignored."""
    values: dict[str, Any] = {}
    errors: dict[str, Any] = {}
    for name, field in fields.items():
        if name in request.query_params:
            try:
                values[name] = field.run_validation(request.query_params[name])
            except ValidationError as error:
                errors[name] = error.detail
    if errors:
        raise ValidationError(errors)
    return values


_SUBJECT_FILTERS = SubjectListQuerySerializer().fields


def _user(request: Request) -> User:
    # IsAuthenticated (the default permission) lets only signed-in users reach the views.
    return cast("User", request.user)


# --- subjects -----------------------------------------------------------------------------------


class SubjectListApi(APIView):
    @extend_schema(
        operation_id="study_subjects_list",
        parameters=[SubjectListQuerySerializer, *PAGE_PARAMETERS],
        responses={200: SubjectPageSerializer},
        description="Public subjects and your own private ones, by name; `search` matches names.",
    )
    def get(self, request: Request) -> HttpResponse:
        filters = selectors.SubjectFilters(**_query_values(_SUBJECT_FILTERS, request))
        page = selectors.subject_page(
            user=_user(request), filters=filters, page=page_request(request.query_params)
        )
        return page_response(request, page)

    @extend_schema(request=SubjectInputSerializer, responses={201: SubjectOutputSerializer})
    def post(self, request: Request) -> Response:
        data = validated(SubjectInputSerializer, request.data)
        subject = services.subject_create(created_by=_user(request), **data)
        return Response(selectors.subject_row(subject), status=status.HTTP_201_CREATED)


class SubjectDetailApi(APIView):
    @extend_schema(responses={200: SubjectOutputSerializer})
    def get(self, request: Request, subject_id: int) -> Response:
        subject = selectors.subject_get(user=_user(request), subject_id=subject_id)
        return Response(selectors.subject_row(subject))

    @extend_schema(
        request=SubjectInputSerializer,
        responses={
            200: SubjectOutputSerializer,
            403: OpenApiResponse(description="`permission_denied`: a public subject of another"),
        },
    )
    def put(self, request: Request, subject_id: int) -> Response:
        return self._update(request, subject_id, partial=False)

    @extend_schema(
        request=SubjectInputSerializer,
        responses={
            200: SubjectOutputSerializer,
            403: OpenApiResponse(description="`permission_denied`: a public subject of another"),
        },
    )
    def patch(self, request: Request, subject_id: int) -> Response:
        return self._update(request, subject_id, partial=True)

    @extend_schema(
        responses={
            204: None,
            403: OpenApiResponse(description="`permission_denied`: a public subject of another"),
            409: OpenApiResponse(description="`conflict`: other learners study this subject"),
        }
    )
    def delete(self, request: Request, subject_id: int) -> Response:
        services.subject_delete(user=_user(request), subject_id=subject_id)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _update(self, request: Request, subject_id: int, *, partial: bool) -> Response:
        data = validated(SubjectInputSerializer, request.data, partial=partial)
        subject = services.subject_update(user=_user(request), subject_id=subject_id, data=data)
        return Response(selectors.subject_row(subject))


class SubjectPopularApi(APIView):
    @extend_schema(
        operation_id="study_subjects_popular_list",
        parameters=PAGE_PARAMETERS,
        responses={200: PopularSubjectPageSerializer},
        description="Public subjects by learner count (users with progress or summaries in "
        f"them), most first; the top {selectors.POPULAR_LIMIT}.",
    )
    def get(self, request: Request) -> HttpResponse:
        ranking = selectors.subject_popular().rows
        return page_response(request, page_of_rows(ranking, page_request(request.query_params)))


# --- summaries ----------------------------------------------------------------------------------


def _summary_data(summary: StudySummary) -> Any:
    return SummaryOutputSerializer(summary).data


class SummaryGenerateApi(APIView):
    @extend_schema(
        request=SummaryRequestInputSerializer,
        responses={
            202: SummaryOutputSerializer,
            404: OpenApiResponse(description="`not_found`: no subject you can see"),
            402: OpenApiResponse(description="`insufficient_credits`"),
        },
        description="Creates a pending summary and generates it in the background; when that "
        "finishes before the answer (eager workers), the answer shows the final status.",
    )
    def post(self, request: Request) -> Response:
        data = validated(SummaryRequestInputSerializer, request.data)
        user = _user(request)
        summary = services.summary_request(user=user, **data)
        # Read again: the commit hooks may have generated it already.
        summary = selectors.summary_get(user=user, summary_id=summary.pk)
        return Response(_summary_data(summary), status=status.HTTP_202_ACCEPTED)


class SummaryListApi(ListAPIView[StudySummary]):
    """Your summaries, newest first."""

    serializer_class = SummaryOutputSerializer
    queryset = StudySummary.objects.none()  # for the schema; requests use get_queryset
    filter_backends = ()

    @extend_schema(parameters=[SummaryListQuerySerializer])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        query = validated(SummaryListQuerySerializer, self.request.query_params.dict())
        subject_id = query.pop("subject", None)
        return selectors.summary_list(user=_user(self.request), subject_id=subject_id, **query)


class SummaryDetailApi(APIView):
    @extend_schema(responses={200: SummaryOutputSerializer})
    def get(self, request: Request, summary_id: int) -> Response:
        summary = selectors.summary_get(user=_user(request), summary_id=summary_id)
        return Response(_summary_data(summary))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, summary_id: int) -> Response:
        services.summary_delete(user=_user(request), summary_id=summary_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class _EventStreamRenderer(BaseRenderer):
    """Lets `Accept: text/event-stream` through content negotiation; errors still render as
    JSON (see `perform_content_negotiation`)."""

    media_type = "text/event-stream"
    format = "sse"

    def render(
        self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None
    ) -> Any:
        return data


class SummaryStreamApi(APIView):
    @extend_schema(
        responses={
            (200, "text/event-stream"): OpenApiResponse(
                OpenApiTypes.STR,
                description="Server-sent events: `token` `{text}` pieces as they are generated, "
                "then `done` with the summary, or `error` `{code, message}`. A completed summary "
                "is replayed; a pending one is generated while you listen.",
            )
        }
    )
    def get(self, request: Request, summary_id: int) -> Any:
        summary = selectors.summary_get(user=_user(request), summary_id=summary_id)
        events = services.summary_stream(summary=summary)
        return event_stream_response(request._request, _sse_messages(events))

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # Never 406: errors answer the JSON envelope whatever the client accepts.
        renderer, media_type = super().perform_content_negotiation(request, force=True)
        if isinstance(renderer, _EventStreamRenderer):
            return self.renderer_classes[0](), self.renderer_classes[0].media_type
        return renderer, media_type

    def get_renderers(self) -> list[BaseRenderer]:
        return [*super().get_renderers(), _EventStreamRenderer()]


def _sse_messages(events: Iterator[services.SummaryEvent]) -> Iterator[bytes]:
    for event in events:
        if event.kind == "token":
            yield sse_message("token", {"text": event.text})
        elif event.kind == "done" and event.summary is not None:
            yield sse_message("done", _summary_data(event.summary))
        else:
            yield sse_message("error", {"code": event.code, "message": event.text})


# --- progress -----------------------------------------------------------------------------------


class ProgressApi(APIView):
    @extend_schema(
        operation_id="study_progress_list",
        parameters=PAGE_PARAMETERS,
        responses={200: ProgressPageSerializer},
    )
    def get(self, request: Request) -> HttpResponse:
        page = selectors.progress_page(user=_user(request), page=page_request(request.query_params))
        return page_response(request, page)

    @extend_schema(
        request=ProgressLogInputSerializer,
        responses={
            201: ProgressOutputSerializer,
            404: OpenApiResponse(description="`not_found`: no subject you can see"),
        },
        description="Logs study time and answers the subject's updated progress.",
    )
    def post(self, request: Request) -> Response:
        data = validated(ProgressLogInputSerializer, request.data)
        user = _user(request)
        progress = services.progress_log(user=user, **data)
        today = selectors.local_date(timezone.now(), selectors.user_timezone(user))
        row = selectors.progress_row(progress, today=today)
        return Response(row, status=status.HTTP_201_CREATED)


# --- goals --------------------------------------------------------------------------------------


class GoalListApi(ListAPIView[StudyGoal]):
    """Your goals, newest first."""

    serializer_class = GoalOutputSerializer
    queryset = StudyGoal.objects.none()  # for the schema; requests use get_queryset
    filter_backends = ()

    @extend_schema(parameters=[GoalListQuerySerializer])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        query = validated(GoalListQuerySerializer, self.request.query_params.dict())
        subject_id = query.pop("subject", None)
        return selectors.goal_list(user=_user(self.request), subject_id=subject_id, **query)

    @extend_schema(
        request=GoalCreateInputSerializer,
        responses={
            201: GoalOutputSerializer,
            404: OpenApiResponse(description="`not_found`: no subject you can see"),
        },
    )
    def post(self, request: Request) -> Response:
        data = validated(GoalCreateInputSerializer, request.data)
        goal = services.goal_create(user=_user(request), **data)
        return Response(GoalOutputSerializer(goal).data, status=status.HTTP_201_CREATED)


class GoalDetailApi(APIView):
    @extend_schema(responses={200: GoalOutputSerializer})
    def get(self, request: Request, goal_id: int) -> Response:
        goal = selectors.goal_get(user=_user(request), goal_id=goal_id)
        return Response(GoalOutputSerializer(goal).data)

    @extend_schema(request=GoalUpdateInputSerializer, responses={200: GoalOutputSerializer})
    def put(self, request: Request, goal_id: int) -> Response:
        return self._update(request, goal_id, partial=False)

    @extend_schema(request=GoalUpdateInputSerializer, responses={200: GoalOutputSerializer})
    def patch(self, request: Request, goal_id: int) -> Response:
        return self._update(request, goal_id, partial=True)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, goal_id: int) -> Response:
        services.goal_delete(user=_user(request), goal_id=goal_id)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _update(self, request: Request, goal_id: int, *, partial: bool) -> Response:
        data = validated(GoalUpdateInputSerializer, request.data, partial=partial)
        goal = services.goal_update(user=_user(request), goal_id=goal_id, data=data)
        return Response(GoalOutputSerializer(goal).data)


# --- settings -----------------------------------------------------------------------------------


class StudySettingsApi(APIView):
    @extend_schema(responses={200: StudySettingsOutputSerializer})
    def get(self, request: Request) -> Response:
        settings = services.study_settings_ensure(user=_user(request))
        return Response(StudySettingsOutputSerializer(settings).data)

    @extend_schema(
        request=StudySettingsInputSerializer,
        responses={200: StudySettingsOutputSerializer},
        description="Fields left out keep their values.",
    )
    def put(self, request: Request) -> Response:
        data = validated(StudySettingsInputSerializer, request.data)
        settings = services.study_settings_update(user=_user(request), data=data)
        return Response(StudySettingsOutputSerializer(settings).data)
