"""Commands and queries of the study domain (the `/api/cqrs/` endpoints).

Every message needs a signed-in user; whose data a query reads is the sender's, never a field of
the message, so one learner cannot ask for another's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from study.models import DifficultyLevel, StudyProgress, StudySummary, Subject
from study.pages import Page, PageRequest
from study.selectors import SubjectFilters
from studymate_api.cqrs import Actor, Command, Query, is_authenticated

__all__ = [
    "CreateSubject",
    "GetStudyAnalytics",
    "ListStudyProgress",
    "ListStudySummaries",
    "ListSubjects",
    "LogStudyTime",
    "RequestSummary",
    "SummaryFilters",
]


class _SignedIn:
    def permits(self, user: Actor) -> bool:
        return is_authenticated(user)


# --- commands -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreateSubject(_SignedIn, Command[Subject]):
    """Records `SubjectCreated`."""

    name: str
    description: str = ""
    category: str = ""
    difficulty_level: str = DifficultyLevel.BEGINNER
    is_public: bool = False
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class RequestSummary(_SignedIn, Command[StudySummary]):
    """Records `SummaryRequested`; `SummaryCompleted` or `SummaryFailed` follows when the
    generation (a task after commit) finishes."""

    subject_id: int
    content: str
    summary_type: str
    provider: str | None = None
    title: str = ""


@dataclass(frozen=True)
class LogStudyTime(_SignedIn, Command[StudyProgress]):
    """Records `StudyTimeLogged` (the service records it, for the REST endpoint as well)."""

    subject_id: int
    minutes: int
    topics_covered: tuple[str, ...] = ()


# --- queries ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListSubjects(_SignedIn, Query[Page]):
    """Public subjects and the sender's private ones."""

    filters: SubjectFilters = field(default_factory=SubjectFilters)
    page: PageRequest = field(default_factory=PageRequest)


@dataclass(frozen=True)
class SummaryFilters:
    subject_id: int | None = None
    status: str | None = None
    summary_type: str | None = None


@dataclass(frozen=True)
class ListStudySummaries(_SignedIn, Query[Page]):
    """The sender's summaries from the summaries projection, newest first."""

    filters: SummaryFilters = field(default_factory=SummaryFilters)
    page: PageRequest = field(default_factory=PageRequest)


@dataclass(frozen=True)
class ListStudyProgress(_SignedIn, Query[Page]):
    """The sender's progress per subject from the progress projection, latest study first."""

    page: PageRequest = field(default_factory=PageRequest)


@dataclass(frozen=True)
class GetStudyAnalytics(_SignedIn, Query[dict[str, Any]]):
    """The sender's totals and their minutes per day over the last `days` days."""

    days: int = 30
