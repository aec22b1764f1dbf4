"""Events of the study domain, as stored in the event store. Other apps subscribe to these
objects (never to the names as strings).

| event | aggregate | recorded by |
| --- | --- | --- |
| SubjectCreated | subject:<id> | `subject_create` (REST, CQRS and seed data) |
| SummaryRequested | summary:<id> | `summary_request` (REST and CQRS) |
| SummaryCompleted, SummaryFailed | summary:<id> | summary generation (task or stream) |
| StudyTimeLogged | study_progress:<progress id> | `progress_log` (REST, CQRS, learning sessions) |

A finished quiz logs its time through `progress_log(..., announce=False)`: its own QuizCompleted
(`quiz.events`) carries the minutes, so the finish is one event, heard once.
"""

from __future__ import annotations

from typing import TypedDict

from studymate_api.cqrs import EventType

SUBJECT = "subject"
SUMMARY = "summary"
STUDY_PROGRESS = "study_progress"


class SubjectCreatedPayload(TypedDict):
    user_id: int
    id: int
    name: str
    description: str
    category: str
    difficulty_level: str
    is_public: bool
    tags: list[str]
    created_by: int | None
    created_at: str | None
    updated_at: str | None


class SummaryPayload(TypedDict):
    """Every summary event carries the summary as it is then (not its source text)."""

    summary_id: int
    user_id: int
    subject_id: int | None
    title: str
    summary_type: str
    status: str
    summary: str
    provider: str
    model: str
    tokens_used: int
    error_code: str
    error: str
    created_at: str
    completed_at: str | None


class StudyTimeLoggedPayload(TypedDict):
    """The log and the progress totals after it."""

    progress_id: int
    user_id: int
    subject_id: int
    minutes: int
    topics_covered: list[str]
    studied_at: str
    local_date: str
    total_study_minutes: int
    sessions_count: int
    completion_percentage: float
    last_studied_at: str | None
    last_study_date: str | None
    streak_days: int
    longest_streak_days: int


SUBJECT_CREATED = EventType("SubjectCreated", aggregate=SUBJECT, payload=SubjectCreatedPayload)
SUMMARY_REQUESTED = EventType("SummaryRequested", aggregate=SUMMARY, payload=SummaryPayload)
SUMMARY_COMPLETED = EventType("SummaryCompleted", aggregate=SUMMARY, payload=SummaryPayload)
SUMMARY_FAILED = EventType("SummaryFailed", aggregate=SUMMARY, payload=SummaryPayload)
STUDY_TIME_LOGGED = EventType(
    "StudyTimeLogged", aggregate=STUDY_PROGRESS, payload=StudyTimeLoggedPayload
)
