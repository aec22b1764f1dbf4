"""Code that is used, but only through a dotted path in settings or a name built at run time:
vulture (see pyproject.toml) reads this file as a user of them. Keep it short."""

from accounts.lockout import lockout_response, lockout_username
from accounts.services.mfa import EncryptingMFAAdapter
from realtime.management.commands.realtime_analytics_management import (
    Command as RealtimeAnalyticsCommand,
)
from studymate_api.beat import HeartbeatScheduler
from studymate_api.core.exception_handler import render_exception
from studymate_api.core.middleware import ApiErrorEnvelopeMiddleware
from studymate_api.core.parsers import DepthSafeJSONParser
from studymate_api.core.schema import (
    EnvelopeAutoSchema,
    component_names_are_distinct,
    nullable_as_type_unions,
)
from studymate_api.observability.request_id import RequestIdMiddleware
from studymate_api.security import RequestSizeLimitMiddleware

REACHED_FROM_SETTINGS = [
    lockout_response,  # AXES_LOCKOUT_CALLABLE
    lockout_username,  # AXES_USERNAME_CALLABLE
    EncryptingMFAAdapter,  # MFA_ADAPTER
    render_exception,  # REST_FRAMEWORK["EXCEPTION_HANDLER"]
    ApiErrorEnvelopeMiddleware,  # MIDDLEWARE
    RequestIdMiddleware,
    RequestSizeLimitMiddleware,
    DepthSafeJSONParser,  # REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]
    EnvelopeAutoSchema,  # REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]
    component_names_are_distinct,  # SPECTACULAR_SETTINGS hooks
    nullable_as_type_unions,
    HeartbeatScheduler,  # CELERY_BEAT_SCHEDULER
]

# `--start-streaming` and the other actions dispatch to `_<action>` by name.
REACHED_BY_NAME = [
    RealtimeAnalyticsCommand._start_streaming,
    RealtimeAnalyticsCommand._status,
    RealtimeAnalyticsCommand._active_sessions,
    RealtimeAnalyticsCommand._performance_report,
]
