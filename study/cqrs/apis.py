"""The `/api/cqrs/` endpoints: writes through the command bus, reads through the query bus.

Same auth, error envelope, ownership rules, validation and pagination as the REST study
endpoints; lists answer pre-rendered rows (`study.pages`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from study import selectors
from study.apis import PAGE_PARAMETERS
from study.pages import page_request, page_response
from study.serializers import (
    ProgressLogInputSerializer,
    ProgressOutputSerializer,
    ProgressPageSerializer,
    SubjectInputSerializer,
    SubjectListQuerySerializer,
    SubjectOutputSerializer,
    SubjectPageSerializer,
    SummaryListQuerySerializer,
    SummaryOutputSerializer,
)
from studymate_api.core.serializers import validated
from studymate_api.cqrs import command_bus, query_bus

from .messages import (
    CreateSubject,
    GetStudyAnalytics,
    ListStudyProgress,
    ListStudySummaries,
    ListSubjects,
    LogStudyTime,
    RequestSummary,
    SummaryFilters,
)
from .serializers import (
    StudyAnalyticsOutputSerializer,
    StudySummaryViewPageSerializer,
    SubjectSummaryRequestInputSerializer,
)

if TYPE_CHECKING:
    from accounts.models import User

NO_SUBJECT = OpenApiResponse(description="`not_found`: no subject you can see")


def _user(request: Request) -> User:
    # IsAuthenticated (the default permission) lets only signed-in users reach the views.
    return cast("User", request.user)


class CqrsSubjectListApi(APIView):
    @extend_schema(
        operation_id="cqrs_subjects_list",
        parameters=[SubjectListQuerySerializer, *PAGE_PARAMETERS],
        responses={200: SubjectPageSerializer},
        description="The ListSubjects query: public subjects and your own private ones, by name.",
    )
    def get(self, request: Request) -> HttpResponse:
        filters = selectors.SubjectFilters(
            **validated(SubjectListQuerySerializer, request.query_params.dict())
        )
        query = ListSubjects(filters=filters, page=page_request(request.query_params))
        return page_response(request, query_bus.dispatch(query, user=request.user))

    @extend_schema(
        operation_id="cqrs_subjects_create",
        request=SubjectInputSerializer,
        responses={201: SubjectOutputSerializer},
        description="The CreateSubject command; records `SubjectCreated`.",
    )
    def post(self, request: Request) -> Response:
        data = validated(SubjectInputSerializer, request.data)
        command = CreateSubject(**{**data, "tags": tuple(data.get("tags", ()))})
        subject = command_bus.dispatch(command, user=request.user)
        return Response(selectors.subject_row(subject), status=status.HTTP_201_CREATED)


class CqrsSummaryGenerateApi(APIView):
    @extend_schema(
        operation_id="cqrs_subjects_generate_summary_create",
        request=SubjectSummaryRequestInputSerializer,
        responses={
            202: SummaryOutputSerializer,
            404: NO_SUBJECT,
            402: OpenApiResponse(description="`insufficient_credits`"),
        },
        description="The RequestSummary command: a pending summary of the subject, generated in "
        "the background; records `SummaryRequested`, and `SummaryCompleted` or `SummaryFailed` "
        "when the generation ends (with eager workers, before this answers).",
    )
    def post(self, request: Request, subject_id: int) -> Response:
        data = validated(SubjectSummaryRequestInputSerializer, request.data)
        command = RequestSummary(subject_id=subject_id, **data)
        summary = command_bus.dispatch(command, user=request.user)
        # Read again: the commit hooks may have generated it already.
        summary = selectors.summary_get(user=_user(request), summary_id=summary.pk)
        return Response(SummaryOutputSerializer(summary).data, status=status.HTTP_202_ACCEPTED)


class CqrsStudySummaryListApi(APIView):
    @extend_schema(
        operation_id="cqrs_study_summaries_list",
        parameters=[SummaryListQuerySerializer, *PAGE_PARAMETERS],
        responses={200: StudySummaryViewPageSerializer},
        description="The ListStudySummaries query over the summaries projection: your "
        "summaries, newest first.",
    )
    def get(self, request: Request) -> HttpResponse:
        query_values = validated(SummaryListQuerySerializer, request.query_params.dict())
        filters = SummaryFilters(
            subject_id=query_values.get("subject"),
            status=query_values.get("status"),
            summary_type=query_values.get("summary_type"),
        )
        query = ListStudySummaries(filters=filters, page=page_request(request.query_params))
        return page_response(request, query_bus.dispatch(query, user=request.user))


class CqrsStudyProgressApi(APIView):
    @extend_schema(
        operation_id="cqrs_study_progress_list",
        parameters=PAGE_PARAMETERS,
        responses={200: ProgressPageSerializer},
        description="The ListStudyProgress query over the progress projection: your progress "
        "per subject, latest study first.",
    )
    def get(self, request: Request) -> HttpResponse:
        query = ListStudyProgress(page=page_request(request.query_params))
        return page_response(request, query_bus.dispatch(query, user=request.user))

    @extend_schema(
        operation_id="cqrs_study_progress_create",
        request=ProgressLogInputSerializer,
        responses={201: ProgressOutputSerializer, 404: NO_SUBJECT},
        description="The LogStudyTime command; records `StudyTimeLogged` and answers the "
        "subject's updated progress.",
    )
    def post(self, request: Request) -> Response:
        data = validated(ProgressLogInputSerializer, request.data)
        command = LogStudyTime(**{**data, "topics_covered": tuple(data.get("topics_covered", ()))})
        progress = command_bus.dispatch(command, user=request.user)
        user = _user(request)
        today = selectors.local_date(timezone.now(), selectors.user_timezone(user))
        return Response(
            selectors.progress_row(progress, today=today), status=status.HTTP_201_CREATED
        )


class CqrsStudyAnalyticsApi(APIView):
    @extend_schema(
        operation_id="cqrs_study_analytics_retrieve",
        responses={200: StudyAnalyticsOutputSerializer},
        description="The GetStudyAnalytics query over the analytics projection: your study "
        "activity totals and minutes per day.",
    )
    def get(self, request: Request) -> Response:
        return Response(query_bus.dispatch(GetStudyAnalytics(), user=request.user))
