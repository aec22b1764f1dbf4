"""Study endpoints: thin views over services and selectors.

Subjects and progress lists answer cached plain rows (see `pages.py`); the other lists are DRF
generic lists over selectors.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, cast

from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed as RestAuthenticationFailed
from rest_framework.exceptions import ValidationError
from rest_framework.fields import Field
from rest_framework.generics import ListAPIView
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from studymate_api.ai import AIThrottled
from studymate_api.core.conditional import ReadAheadMixin, etag_cached
from studymate_api.core.errors import (
    AuthenticationFailed,
    Conflict,
    InsufficientCredits,
    NotFound,
    PermissionDenied,
)
from studymate_api.core.idempotency import idempotent
from studymate_api.core.locations import location
from studymate_api.core.pagination import PAGE_PARAMETERS
from studymate_api.core.schema import raises
from studymate_api.core.serializers import validated

from . import selectors, services
from .caching import (
    LEARNERS_TAG,
    SUBJECTS_TAG,
    progress_cache,
    progress_tag,
    settings_tag,
    subject_page_key,
    subjects_cache,
)
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
    SummaryStreamQuerySerializer,
    SummaryStreamTicketOutputSerializer,
)
from .sse import event_stream_response, sse_message, sse_retry

if TYPE_CHECKING:
    from accounts.models import User


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


def _subject_page_keys(request: Request, user: User) -> list[str]:
    """The cached page this request will read: read ahead with its authentication (the page
    needs only the user's id). A bad query names nothing; the view then refuses it."""
    try:
        filters = selectors.SubjectFilters(**_query_values(_SUBJECT_FILTERS, request))
        page = page_request(request.query_params)
    except (ValidationError, NotFound):
        return []
    return [subject_page_key(user=user, filters=filters, page=page)]


class SubjectListApi(ReadAheadMixin, APIView):
    @extend_schema(
        operation_id="study_subjects_list",
        parameters=[SubjectListQuerySerializer, *PAGE_PARAMETERS],
        responses={200: SubjectPageSerializer},
    )
    @etag_cached(
        tags=[SUBJECTS_TAG],
        cache=subjects_cache,
        read_ahead=_subject_page_keys,
        keep_responses=True,
    )
    def get(self, request: Request) -> HttpResponse:
        """List subjects

        Public subjects and your own private ones, ordered by name. `search` matches names;
        `category`, `difficulty_level` and `is_public` filter.
        """
        filters = selectors.SubjectFilters(**_query_values(_SUBJECT_FILTERS, request))
        page = selectors.subject_page(
            user=_user(request), filters=filters, page=page_request(request.query_params)
        )
        return page_response(request, page)

    @extend_schema(request=SubjectInputSerializer, responses={201: SubjectOutputSerializer})
    def post(self, request: Request) -> Response:
        """Create a subject

        Private unless `is_public` is true; a public subject is listed for every learner. Answers
        201 with the subject.
        """
        data = validated(SubjectInputSerializer, request.data)
        subject = services.subject_create(created_by=_user(request), **data)
        headers = location(request, "study:subject", subject_id=subject.pk)
        return Response(
            selectors.subject_row(subject), status=status.HTTP_201_CREATED, headers=headers
        )


class SubjectDetailApi(APIView):
    @extend_schema(responses={200: SubjectOutputSerializer})
    @etag_cached(tags=[SUBJECTS_TAG], cache=subjects_cache)
    def get(self, request: Request, subject_id: int) -> Response:
        """Get a subject

        A public subject, or a private one of yours; any other id is 404.
        """
        subject = selectors.subject_get(user=_user(request), subject_id=subject_id)
        return Response(selectors.subject_row(subject))

    @extend_schema(
        request=SubjectInputSerializer,
        responses={
            200: SubjectOutputSerializer,
            **raises(PermissionDenied, NotFound),
        },
    )
    def put(self, request: Request, subject_id: int) -> Response:
        """Replace a subject

        Only its creator may change a subject: another learner's public subject is 403, a private
        one 404. `name` is required; other fields left out keep their values.
        """
        return self._update(request, subject_id, partial=False)

    @extend_schema(
        request=SubjectInputSerializer,
        responses={
            200: SubjectOutputSerializer,
            **raises(PermissionDenied, NotFound),
        },
    )
    def patch(self, request: Request, subject_id: int) -> Response:
        """Update some fields of a subject

        Only the fields sent change; the same rules as PUT.
        """
        return self._update(request, subject_id, partial=True)

    @extend_schema(
        responses={
            204: None,
            **raises(PermissionDenied, NotFound, Conflict),
        }
    )
    def delete(self, request: Request, subject_id: int) -> Response:
        """Delete a subject

        Only its creator may delete it. A subject other learners study (their progress, summaries or
        goals) cannot be deleted: 409 `conflict`; make it private instead.
        """
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
    @etag_cached(tags=[SUBJECTS_TAG, LEARNERS_TAG], cache=subjects_cache)
    def get(self, request: Request) -> HttpResponse:
        """List the most popular public subjects"""
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
            **raises(NotFound, InsufficientCredits, AIThrottled),
        },
    )
    @idempotent
    def post(self, request: Request) -> Response:
        """Request an AI summary of study material

        Answers 202 with a `pending` summary and generates it in the background: read it again
        (`GET /api/study/summaries/{id}/`) or stream it (`.../{id}/stream/`) until `status` is
        `completed` or `failed`. When the generation finishes before the answer, the answer already
        shows the final status.

        `content` is 50 to 50,000 characters. `provider` defaults to your preferred AI provider
        (study settings). Generation spends AI credits: without enough, the answer is 402
        `insufficient_credits`, or the summary fails with that `error_code` when it was generated
        in the background. An identical request (same subject, `content`, `summary_type` and
        provider) whose summary has completed answers that summary again and charges nothing.
        """
        data = validated(SummaryRequestInputSerializer, request.data)
        user = _user(request)
        # As generated already when the commit hooks ran the generation (eager Celery).
        summary = services.summary_request(user=user, **data)
        headers = location(request, "study:summary", summary_id=summary.pk)
        return Response(_summary_data(summary), status=status.HTTP_202_ACCEPTED, headers=headers)


class SummaryListApi(ListAPIView[StudySummary]):
    serializer_class = SummaryOutputSerializer
    queryset = StudySummary.objects.none()  # for the schema; requests use get_queryset
    filter_backends = ()

    @extend_schema(parameters=[SummaryListQuerySerializer])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """List your summaries

        Newest first; filter by `subject`, `status` or `summary_type`.
        """
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        query = validated(SummaryListQuerySerializer, self.request.query_params.dict())
        subject_id = query.pop("subject", None)
        return selectors.summary_list(user=_user(self.request), subject_id=subject_id, **query)


class SummaryDetailApi(APIView):
    @extend_schema(responses={200: SummaryOutputSerializer})
    def get(self, request: Request, summary_id: int) -> Response:
        """Get one of your summaries

        With its source `content` and, once `status` is `completed`, the `summary`; a failed one
        carries `error_code` and `error`.
        """
        summary = selectors.summary_get(user=_user(request), summary_id=summary_id)
        return Response(_summary_data(summary))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, summary_id: int) -> Response:
        """Delete one of your summaries"""
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


# How long a browser waits before it reconnects a dropped stream (the `retry:` hint).
STREAM_RETRY_MILLISECONDS = 3000


class StreamTicketAuthentication(BaseAuthentication):
    """`?ticket=` in place of the Authorization header, on the one stream it was issued for
    (see `services.stream_tickets`); without the parameter, the usual authentication runs."""

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        ticket = request.query_params.get("ticket")
        if ticket is None:
            return None
        summary_id = (request.parser_context or {}).get("kwargs", {}).get("summary_id")
        try:
            user = services.stream_ticket_redeem(ticket=ticket, summary_id=summary_id)
        except AuthenticationFailed as error:
            raise RestAuthenticationFailed(str(error.message)) from None
        return user, None

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class StreamTicketScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """Documents the ticket as the stream's second way to authenticate."""

    target_class = StreamTicketAuthentication
    name = "streamTicket"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "query",
            "name": "ticket",
            "description": "A summary stream ticket from `POST .../stream-ticket/`.",
        }


class SummaryStreamApi(APIView):
    @extend_schema(
        parameters=[SummaryStreamQuerySerializer],
        responses={
            (200, "text/event-stream"): OpenApiResponse(
                OpenApiTypes.STR,
                description="Server-sent events: `token` `{text}` pieces as they are generated, "
                "then `done` with the summary, or `error` `{code, message}`. A completed summary "
                "is replayed; a pending one is generated while you listen. `token` and `done` "
                "carry an `id:`; the stream starts with a `retry:` hint.",
            ),
            204: OpenApiResponse(
                description="`Last-Event-ID` is the completed summary's `done`: nothing is left "
                "to send (EventSource stops reconnecting)."
            ),
        },
    )
    def get(self, request: Request, summary_id: int) -> Any:
        """Stream a summary as server-sent events

        Send `Accept: text/event-stream`. Errors before the stream starts (404, 401) answer the JSON
        error envelope.

        Authenticate with the Authorization header, or, where that cannot be sent (a browser's
        `EventSource`), with `?ticket=` from `POST .../stream-ticket/`: single use, for this
        summary, valid for a minute.

        Resuming: an event's `id` is how many visible (non-whitespace) characters of the summary
        you have once you got it (`done`: one more). With `Last-Event-ID` (or `?last_event_id=`)
        the text up to that point is not sent again, whether the summary is still being
        generated or already done. The `done` event's `summary` is the final text: show that.
        """
        after = _resume_position(request)
        summary = selectors.summary_get(user=_user(request), summary_id=summary_id)
        if services.summary_stream_ended(summary=summary, after=after):
            return HttpResponse(status=status.HTTP_204_NO_CONTENT)
        events = services.summary_stream(summary=summary, after=after)
        return event_stream_response(request._request, _sse_messages(events))

    def get_authenticators(self) -> list[BaseAuthentication]:
        return [StreamTicketAuthentication(), *super().get_authenticators()]

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # Never 406: errors answer the JSON envelope whatever the client accepts.
        renderer, media_type = super().perform_content_negotiation(request, force=True)
        if isinstance(renderer, _EventStreamRenderer):
            return self.renderer_classes[0](), self.renderer_classes[0].media_type
        return renderer, media_type

    def get_renderers(self) -> list[BaseRenderer]:
        return [*super().get_renderers(), _EventStreamRenderer()]


def _resume_position(request: Request) -> int:
    # A reconnecting EventSource sends the header; the URL may still hold an older value.
    header = request.headers.get("Last-Event-ID")
    source = {"last_event_id": header} if header else request.query_params.dict()
    return int(validated(SummaryStreamQuerySerializer, source).get("last_event_id", 0))


def _sse_messages(events: Iterator[services.SummaryEvent]) -> Iterator[bytes]:
    yield sse_retry(STREAM_RETRY_MILLISECONDS)
    for event in events:
        if event.kind == "token":
            yield sse_message("token", {"text": event.text}, event_id=event.position)
        elif event.kind == "done" and event.summary is not None:
            data = _summary_data(event.summary)
            yield sse_message("done", data, event_id=event.position + 1)
        else:
            # No id: a client that reconnects after an error resumes from its last text.
            yield sse_message("error", {"code": event.code, "message": event.text})


class SummaryStreamTicketApi(APIView):
    @extend_schema(
        request=None,
        responses={
            200: SummaryStreamTicketOutputSerializer,
            **raises(NotFound),
        },
    )
    def post(self, request: Request, summary_id: int) -> Response:
        """Get a ticket to open a summary's stream from a browser

        `EventSource` cannot send an Authorization header: open `stream_url` instead, which
        carries a ticket in place of it. The ticket is good for that summary's stream only, for
        one opening, within a minute. To resume after a dropped connection, get a new ticket and
        add `last_event_id` (the last `id` you received) to its `stream_url`.
        """
        user = _user(request)
        summary = selectors.summary_get(user=user, summary_id=summary_id)
        ticket = services.stream_ticket_issue(user=user, summary=summary)
        path = reverse("study:summary-stream", kwargs={"summary_id": summary.pk})
        stream_url = request.build_absolute_uri(f"{path}?{urlencode({'ticket': ticket.ticket})}")
        body = {"ticket": ticket.ticket, "expires_at": ticket.expires_at, "stream_url": stream_url}
        return Response(SummaryStreamTicketOutputSerializer(body).data)


# --- progress -----------------------------------------------------------------------------------


def _progress_tags(request: Request) -> list[str]:
    # Rows carry the subject's name too.
    return [progress_tag(_user(request).pk), SUBJECTS_TAG]


def _streak_clock(request: Request) -> int:
    """The quarter hour: streaks are shown as of the learner's local day and break at a local
    midnight, which falls on a quarter hour in every time zone; checking that instead of the
    learner's zone keeps the ETag free of queries."""
    return int(timezone.now().timestamp() // 900)


class ProgressApi(APIView):
    @extend_schema(
        operation_id="study_progress_list",
        parameters=PAGE_PARAMETERS,
        responses={200: ProgressPageSerializer},
    )
    @etag_cached(tags=_progress_tags, cache=progress_cache, version=_streak_clock)
    def get(self, request: Request) -> HttpResponse:
        """List your progress per subject

        Minutes, sessions, completion and streaks for each subject you have logged study time in.
        """
        page = selectors.progress_page(user=_user(request), page=page_request(request.query_params))
        return page_response(request, page)

    @extend_schema(
        request=ProgressLogInputSerializer,
        responses={
            201: ProgressOutputSerializer,
            **raises(NotFound),
        },
    )
    def post(self, request: Request) -> Response:
        """Log study time

        Adds `minutes` of study now to the subject (one you can see) and answers its updated
        progress; the minutes also count toward your active goals for that subject and your goals
        without one.
        """
        data = validated(ProgressLogInputSerializer, request.data)
        user = _user(request)
        progress = services.progress_log(user=user, **data)
        today = selectors.local_date(timezone.now(), selectors.user_timezone(user))
        row = selectors.progress_row(progress, today=today)
        headers = location(request, "study:progress-subject", subject_id=progress.subject_id)
        return Response(row, status=status.HTTP_201_CREATED, headers=headers)


class ProgressDetailApi(APIView):
    @extend_schema(
        responses={
            200: ProgressOutputSerializer,
            **raises(NotFound),
        }
    )
    @etag_cached(tags=_progress_tags, cache=progress_cache, version=_streak_clock)
    def get(self, request: Request, subject_id: int) -> Response:
        """Get your progress in one subject

        The row `GET /api/study/progress/` lists for the subject; 404 until you log study time
        in it.
        """
        user = _user(request)
        progress = selectors.progress_get(user=user, subject_id=subject_id)
        today = selectors.local_date(timezone.now(), selectors.user_timezone(user))
        return Response(selectors.progress_row(progress, today=today))


# --- goals --------------------------------------------------------------------------------------


class GoalListApi(ListAPIView[StudyGoal]):
    serializer_class = GoalOutputSerializer
    queryset = StudyGoal.objects.none()  # for the schema; requests use get_queryset
    filter_backends = ()

    @extend_schema(parameters=[GoalListQuerySerializer])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """List your study goals

        Newest first; filter by `subject` or `status`.
        """
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        query = validated(GoalListQuerySerializer, self.request.query_params.dict())
        subject_id = query.pop("subject", None)
        return selectors.goal_list(user=_user(self.request), subject_id=subject_id, **query)

    @extend_schema(
        request=GoalCreateInputSerializer,
        responses={
            201: GoalOutputSerializer,
            **raises(NotFound),
        },
    )
    def post(self, request: Request) -> Response:
        """Create a study goal

        A goal counts the study time you log from now on: in its subject, or in any subject when
        `subject_id` is left out. It completes itself when the logged minutes reach
        `target_minutes`. Answers 201 with the goal.
        """
        data = validated(GoalCreateInputSerializer, request.data)
        goal = services.goal_create(user=_user(request), **data)
        headers = location(request, "study:goal", goal_id=goal.pk)
        return Response(
            GoalOutputSerializer(goal).data, status=status.HTTP_201_CREATED, headers=headers
        )


class GoalDetailApi(APIView):
    @extend_schema(responses={200: GoalOutputSerializer})
    def get(self, request: Request, goal_id: int) -> Response:
        """Get one of your goals"""
        goal = selectors.goal_get(user=_user(request), goal_id=goal_id)
        return Response(GoalOutputSerializer(goal).data)

    @extend_schema(request=GoalUpdateInputSerializer, responses={200: GoalOutputSerializer})
    def put(self, request: Request, goal_id: int) -> Response:
        """Replace one of your goals

        `title` and `target_minutes` are required; the subject cannot change. An active goal whose
        logged minutes already reach the new target becomes `completed`.
        """
        return self._update(request, goal_id, partial=False)

    @extend_schema(request=GoalUpdateInputSerializer, responses={200: GoalOutputSerializer})
    def patch(self, request: Request, goal_id: int) -> Response:
        """Update some fields of one of your goals

        Only the fields sent change; the same rules as PUT.
        """
        return self._update(request, goal_id, partial=True)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, goal_id: int) -> Response:
        """Delete one of your goals"""
        services.goal_delete(user=_user(request), goal_id=goal_id)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _update(self, request: Request, goal_id: int, *, partial: bool) -> Response:
        data = validated(GoalUpdateInputSerializer, request.data, partial=partial)
        goal = services.goal_update(user=_user(request), goal_id=goal_id, data=data)
        return Response(GoalOutputSerializer(goal).data)


# --- settings -----------------------------------------------------------------------------------


class StudySettingsApi(APIView):
    @extend_schema(responses={200: StudySettingsOutputSerializer})
    @etag_cached(
        tags=lambda request: [
            settings_tag(_user(request).pk),
            *selectors.study_settings_cache_tags(_user(request).pk),
        ]
    )
    def get(self, request: Request) -> Response:
        """Read your study settings

        Created with the defaults on first read.
        """
        settings = services.study_settings_ensure(user=_user(request))
        return Response(StudySettingsOutputSerializer(settings).data)

    @extend_schema(
        request=StudySettingsInputSerializer,
        responses={200: StudySettingsOutputSerializer},
    )
    def put(self, request: Request) -> Response:
        """Update your study settings

        Fields left out keep their values. Answers the settings as they are now.
        """
        return self._update(request)

    @extend_schema(
        request=StudySettingsInputSerializer,
        responses={200: StudySettingsOutputSerializer},
    )
    def patch(self, request: Request) -> Response:
        """Update some of your study settings

        The same body and rules as PUT: only the fields sent change.
        """
        return self._update(request)

    def _update(self, request: Request) -> Response:
        data = validated(StudySettingsInputSerializer, request.data)
        settings = services.study_settings_update(user=_user(request), data=data)
        return Response(StudySettingsOutputSerializer(settings).data)
