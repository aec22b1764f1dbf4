"""The `/api/cqrs/` endpoints: a second address of the study domain, kept as a contract.

Writes call the study services and reads the study selectors the REST endpoints use, so both
answer the same figures. Same auth, error envelope, ownership rules, validation and pagination
as the REST study endpoints; lists answer pre-rendered rows (`study.pages`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from study import selectors, services
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
from studymate_api.ai import AIThrottled
from studymate_api.core.errors import InsufficientCredits, NotFound
from studymate_api.core.idempotency import idempotent
from studymate_api.core.locations import location
from studymate_api.core.pagination import PAGE_PARAMETERS
from studymate_api.core.schema import raises
from studymate_api.core.serializers import validated

from . import selectors as cqrs_selectors
from .serializers import (
    StudyAnalyticsOutputSerializer,
    StudySummaryViewPageSerializer,
    SubjectSummaryRequestInputSerializer,
)

if TYPE_CHECKING:
    from accounts.models import User


def _user(request: Request) -> User:
    # IsAuthenticated (the default permission) lets only signed-in users reach the views.
    return cast("User", request.user)


class CqrsSubjectListApi(APIView):
    @extend_schema(
        operation_id="cqrs_subjects_list",
        parameters=[SubjectListQuerySerializer, *PAGE_PARAMETERS],
        responses={200: SubjectPageSerializer},
    )
    def get(self, request: Request) -> HttpResponse:
        """List subjects (query side)

        Public subjects and your own private ones, ordered by name, with the filters of
        `GET /api/study/subjects/`.
        """
        filters = selectors.SubjectFilters(
            **validated(SubjectListQuerySerializer, request.query_params.dict())
        )
        page = selectors.subject_page(
            user=_user(request), filters=filters, page=page_request(request.query_params)
        )
        return page_response(request, page)

    @extend_schema(
        operation_id="cqrs_subjects_create",
        request=SubjectInputSerializer,
        responses={201: SubjectOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        """Create a subject (command side)

        The same body and answer as `POST /api/study/subjects/`.
        """
        data = validated(SubjectInputSerializer, request.data)
        subject = services.subject_create(created_by=_user(request), **data)
        headers = location(request, "study:subject", subject_id=subject.pk)
        return Response(
            selectors.subject_row(subject), status=status.HTTP_201_CREATED, headers=headers
        )


class CqrsSummaryGenerateApi(APIView):
    @extend_schema(
        operation_id="cqrs_subjects_generate_summary_create",
        request=SubjectSummaryRequestInputSerializer,
        responses={
            202: SummaryOutputSerializer,
            **raises(NotFound, InsufficientCredits, AIThrottled),
        },
    )
    @idempotent
    def post(self, request: Request, subject_id: int) -> Response:
        """Request an AI summary of a subject's material (command side)

        As `POST /api/study/generate-summary/`, with the subject in the path: answers 202 with a
        `pending` summary generated in the background (or already finished when the generation ended
        before the answer). Generation spends AI credits: without enough, 402
        `insufficient_credits`.
        """
        data = validated(SubjectSummaryRequestInputSerializer, request.data)
        user = _user(request)
        summary = services.summary_request(user=user, subject_id=subject_id, **data)
        # Read again: the commit hooks may have generated it already.
        summary = selectors.summary_get(user=user, summary_id=summary.pk)
        headers = location(request, "study:summary", summary_id=summary.pk)
        body = SummaryOutputSerializer(summary).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers=headers)


class CqrsStudySummaryListApi(APIView):
    @extend_schema(
        operation_id="cqrs_study_summaries_list",
        parameters=[SummaryListQuerySerializer, *PAGE_PARAMETERS],
        responses={200: StudySummaryViewPageSerializer},
    )
    def get(self, request: Request) -> HttpResponse:
        """List your summaries (query side)

        The rows of `GET /api/study/summaries/`, newest first, without their source content (read
        it at `GET /api/study/summaries/{id}/`); filter by `subject`, `status` or `summary_type`.
        """
        query = validated(SummaryListQuerySerializer, request.query_params.dict())
        page = cqrs_selectors.summary_page(
            user=_user(request),
            page=page_request(request.query_params),
            subject_id=query.get("subject"),
            status=query.get("status"),
            summary_type=query.get("summary_type"),
        )
        return page_response(request, page)


class CqrsStudyProgressApi(APIView):
    @extend_schema(
        operation_id="cqrs_study_progress_list",
        parameters=PAGE_PARAMETERS,
        responses={200: ProgressPageSerializer},
    )
    def get(self, request: Request) -> HttpResponse:
        """List your progress per subject (query side)

        The rows of `GET /api/study/progress/`, latest study first.
        """
        page = selectors.progress_page(user=_user(request), page=page_request(request.query_params))
        return page_response(request, page)

    @extend_schema(
        operation_id="cqrs_study_progress_create",
        request=ProgressLogInputSerializer,
        responses={201: ProgressOutputSerializer, **raises(NotFound)},
    )
    def post(self, request: Request) -> Response:
        """Log study time (command side)

        The same body and answer as `POST /api/study/progress/`: adds the minutes to the subject and
        answers its updated progress.
        """
        data = validated(ProgressLogInputSerializer, request.data)
        user = _user(request)
        progress = services.progress_log(user=user, **data)
        today = selectors.local_date(timezone.now(), selectors.user_timezone(user))
        headers = location(request, "study:progress-subject", subject_id=progress.subject_id)
        return Response(
            selectors.progress_row(progress, today=today),
            status=status.HTTP_201_CREATED,
            headers=headers,
        )


class CqrsStudyAnalyticsApi(APIView):
    @extend_schema(
        operation_id="cqrs_study_analytics_retrieve",
        responses={200: StudyAnalyticsOutputSerializer},
    )
    def get(self, request: Request) -> Response:
        """Get your study analytics (query side)

        Your totals, counted from your summaries, your progress per subject (the figures of
        `GET /api/study/summaries/` and `GET /api/study/progress/`) and the subjects you created,
        and your minutes per day.
        """
        return Response(cqrs_selectors.study_analytics(user=_user(request)))
