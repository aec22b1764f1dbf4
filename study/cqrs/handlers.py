"""Command and query handlers: thin wrappers over the study services and selectors.

Handlers are registered on import (`StudyConfig.ready`). Each command's `sample` builds what it
needs inside the rolled-back transaction of `cqrs_management --test-commands`; none reaches
outside the database (the summary's generation is enqueued after a commit that never comes).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, cast

from study import selectors, services
from study.models import StudyProgress, StudySummary, Subject
from study.pages import Page
from studymate_api.cqrs import (
    CommandContext,
    Context,
    Sample,
    aggregate_events,
    command_handler,
    query_handler,
)

from . import selectors as views
from .events import STUDY_PROGRESS, SUBJECT, SUMMARY
from .messages import (
    CreateSubject,
    GetStudyAnalytics,
    ListStudyProgress,
    ListStudySummaries,
    ListSubjects,
    LogStudyTime,
    RequestSummary,
)

if TYPE_CHECKING:
    from accounts.models import User

SAMPLE_CONTENT = (
    "Photosynthesis turns light energy into chemical energy stored in glucose. "
    "It takes place in the chloroplasts of plant cells."
)


def _user(context: Context) -> User:
    # Every study message permits only signed-in users, checked before the handler runs.
    return cast("User", context.user)


# --- commands -----------------------------------------------------------------------------------


def _sample_user() -> User:
    from accounts.models import User

    email = f"cqrs-sample-{uuid.uuid4().hex[:12]}@example.com"
    return User.objects.create_user(email=email, password=uuid.uuid4().hex)


def _sample_subject(user: User) -> Subject:
    return services.subject_create(created_by=user, name="CQRS sample subject")


def sample_create_subject() -> Sample:
    return Sample(CreateSubject(name="Sample subject", category="sample"), user=_sample_user())


def sample_request_summary() -> Sample:
    user = _sample_user()
    command = RequestSummary(
        subject_id=_sample_subject(user).pk, content=SAMPLE_CONTENT, summary_type="brief"
    )
    return Sample(command, user=user)


def sample_log_study_time() -> Sample:
    user = _sample_user()
    return Sample(LogStudyTime(subject_id=_sample_subject(user).pk, minutes=25), user=user)


@command_handler(CreateSubject, sample=sample_create_subject)
def create_subject(command: CreateSubject, context: CommandContext) -> Subject:
    subject = services.subject_create(
        created_by=_user(context),
        name=command.name,
        description=command.description,
        category=command.category,
        difficulty_level=command.difficulty_level,
        is_public=command.is_public,
        tags=list(command.tags),
    )
    _report_last_event(context, SUBJECT, subject.pk)
    return subject


@command_handler(RequestSummary, sample=sample_request_summary)
def request_summary(command: RequestSummary, context: CommandContext) -> StudySummary:
    summary = services.summary_request(
        user=_user(context),
        subject_id=command.subject_id,
        content=command.content,
        summary_type=command.summary_type,
        provider=command.provider,
        title=command.title,
    )
    _report_last_event(context, SUMMARY, summary.pk)
    return summary


@command_handler(LogStudyTime, sample=sample_log_study_time)
def log_study_time(command: LogStudyTime, context: CommandContext) -> StudyProgress:
    progress = services.progress_log(
        user=_user(context),
        subject_id=command.subject_id,
        minutes=command.minutes,
        topics_covered=command.topics_covered,
    )
    _report_last_event(context, STUDY_PROGRESS, progress.pk)
    return progress


def _report_last_event(context: CommandContext, aggregate_type: str, aggregate_id: int) -> None:
    """The services record the domain events themselves (REST writes must leave them too).
    The aggregate is locked until commit, so its last event is the one just recorded: report
    it as this command's, like events recorded through the context."""
    recorded = aggregate_events(aggregate_type, aggregate_id).last()
    if recorded is not None:
        context.events.append(recorded)


# --- queries ------------------------------------------------------------------------------------


@query_handler(ListSubjects)
def list_subjects(query: ListSubjects, context: Context) -> Page:
    return selectors.subject_page(user=_user(context), filters=query.filters, page=query.page)


@query_handler(ListStudySummaries)
def list_study_summaries(query: ListStudySummaries, context: Context) -> Page:
    return views.summary_view_page(user=_user(context), filters=query.filters, page=query.page)


@query_handler(ListStudyProgress)
def list_study_progress(query: ListStudyProgress, context: Context) -> Page:
    return views.progress_view_page(user=_user(context), page=query.page)


@query_handler(GetStudyAnalytics)
def get_study_analytics(query: GetStudyAnalytics, context: Context) -> dict[str, Any]:
    return views.study_analytics(user=_user(context), days=query.days)
