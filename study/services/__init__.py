"""Every write of the study domain. Other apps import from here, never from the modules."""

from ..models import MAX_LOG_MINUTES
from .goals import GOAL_FIELDS, goal_create, goal_delete, goal_update
from .progress import (
    DEFAULT_TARGET_MINUTES,
    MAX_TOPICS,
    completion_percentage,
    progress_log,
    progress_refresh_completion,
)
from .settings import SETTINGS_FIELDS, study_settings_ensure, study_settings_update
from .stream_tickets import (
    STREAM_TICKET_SECONDS,
    StreamTicket,
    stream_ticket_issue,
    stream_ticket_redeem,
)
from .subjects import SUBJECT_FIELDS, subject_create, subject_delete, subject_update
from .summaries import (
    CONTENT_MAX_CHARS,
    CONTENT_MIN_CHARS,
    SummaryEvent,
    summary_claim,
    summary_delete,
    summary_generate,
    summary_request,
    summary_requeue_stale,
    summary_stream,
    summary_stream_ended,
)

__all__ = [
    "CONTENT_MAX_CHARS",
    "CONTENT_MIN_CHARS",
    "DEFAULT_TARGET_MINUTES",
    "GOAL_FIELDS",
    "MAX_LOG_MINUTES",
    "MAX_TOPICS",
    "SETTINGS_FIELDS",
    "STREAM_TICKET_SECONDS",
    "SUBJECT_FIELDS",
    "StreamTicket",
    "SummaryEvent",
    "completion_percentage",
    "goal_create",
    "goal_delete",
    "goal_update",
    "progress_log",
    "progress_refresh_completion",
    "stream_ticket_issue",
    "stream_ticket_redeem",
    "study_settings_ensure",
    "study_settings_update",
    "subject_create",
    "subject_delete",
    "subject_update",
    "summary_claim",
    "summary_delete",
    "summary_generate",
    "summary_request",
    "summary_requeue_stale",
    "summary_stream",
    "summary_stream_ended",
]
