"""Event types and aggregates of the study domain, as stored in the event store.

| event | aggregate | recorded by |
| --- | --- | --- |
| SubjectCreated | subject:<id> | `subject_create` (REST, CQRS and seed data) |
| SummaryRequested | summary:<id> | `summary_request` (REST and RequestSummary) |
| SummaryCompleted, SummaryFailed | summary:<id> | summary generation (task or stream) |
| StudyTimeLogged | study_progress:<progress id> | `progress_log` (REST and LogStudyTime) |
"""

from __future__ import annotations

SUBJECT = "subject"
SUMMARY = "summary"
STUDY_PROGRESS = "study_progress"

SUBJECT_CREATED = "SubjectCreated"
SUMMARY_REQUESTED = "SummaryRequested"
SUMMARY_COMPLETED = "SummaryCompleted"
SUMMARY_FAILED = "SummaryFailed"
STUDY_TIME_LOGGED = "StudyTimeLogged"
