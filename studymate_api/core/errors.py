"""Application errors: services raise these, one exception handler renders them.

Each error carries a stable snake_case `code` (clients switch on it), an HTTP status and a
human message that is translated at render time. `ErrorCode` is the catalogue of every code the
API answers with, wherever the error class lives; the OpenAPI schema documents, per operation
and status, which of them it can give.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any, ClassVar

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class ErrorCode(StrEnum):
    # 400
    VALIDATION_ERROR = "validation_error"
    PARSE_ERROR = "parse_error"
    # 401
    NOT_AUTHENTICATED = "not_authenticated"
    AUTHENTICATION_FAILED = "authentication_failed"
    # 402
    INSUFFICIENT_CREDITS = "insufficient_credits"
    # 403
    PERMISSION_DENIED = "permission_denied"
    ACCOUNT_LOCKED = "account_locked"
    NOT_A_MEMBER = "not_a_member"  # realtime: a public study room not joined
    # 404, 405, 406
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    NOT_ACCEPTABLE = "not_acceptable"
    # 409
    CONFLICT = "conflict"
    IDEMPOTENCY_IN_PROGRESS = "idempotency_in_progress"
    SESSION_ALREADY_ACTIVE = "session_already_active"  # realtime: learning sessions
    ROOM_FULL = "room_full"  # realtime: study rooms
    OWNER_CANNOT_LEAVE = "owner_cannot_leave"  # realtime: study rooms
    # 413, 415
    PAYLOAD_TOO_LARGE = "payload_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    # 422
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    AI_REQUEST_REJECTED = "ai_request_rejected"  # studymate_api.ai
    # 429
    THROTTLED = "throttled"
    RATE_LIMITED = "rate_limited"  # realtime: room chat
    # 500, 502
    SERVER_ERROR = "server_error"
    AI_ERROR = "ai_error"  # studymate_api.ai
    AI_OUTPUT_INVALID = "ai_output_invalid"  # studymate_api.ai
    # 503
    SERVICE_UNAVAILABLE = "service_unavailable"
    BILLING_NOT_CONFIGURED = "billing_not_configured"
    AI_UNAVAILABLE = "ai_unavailable"  # studymate_api.ai
    STREAM_UNAVAILABLE = "stream_unavailable"  # studymate_api.streaming


class ApplicationError(Exception):
    code: ClassVar[str] = "error"  # every concrete error sets an ErrorCode
    http_status: ClassVar[int] = 400
    default_message: ClassVar[str | Promise] = _("The request could not be completed.")

    def __init__(
        self,
        message: str | Promise | None = None,
        *,
        fields: Mapping[str, Sequence[str | Promise]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.message = message if message is not None else self.default_message
        self.fields = dict(fields) if fields else None
        self.headers = dict(headers) if headers else {}
        super().__init__(str(self.message))

    def as_payload(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": str(self.message)}
        if self.fields is not None:
            error["fields"] = {name: [str(m) for m in msgs] for name, msgs in self.fields.items()}
        return {"error": error}


class ValidationFailed(ApplicationError):
    code = ErrorCode.VALIDATION_ERROR
    http_status = 400
    default_message = _("The submitted data is not valid.")


class AuthenticationFailed(ApplicationError):
    code = ErrorCode.AUTHENTICATION_FAILED
    http_status = 401
    default_message = _("Incorrect authentication credentials.")


class PermissionDenied(ApplicationError):
    code = ErrorCode.PERMISSION_DENIED
    http_status = 403
    default_message = _("You do not have permission to perform this action.")


class AccountLocked(ApplicationError):
    code = ErrorCode.ACCOUNT_LOCKED
    http_status = 403
    default_message = _(
        "This account is locked after too many failed login attempts. Try again later."
    )


class NotFound(ApplicationError):
    code = ErrorCode.NOT_FOUND
    http_status = 404
    default_message = _("Not found.")


class Conflict(ApplicationError):
    code = ErrorCode.CONFLICT
    http_status = 409
    default_message = _("The request conflicts with the current state of the resource.")


class IdempotencyInProgress(ApplicationError):
    """A request with the same `Idempotency-Key` is still running; retry after `Retry-After`."""

    code = ErrorCode.IDEMPOTENCY_IN_PROGRESS
    http_status = 409
    default_message = _(
        "A request with this Idempotency-Key is still being processed. Retry in a moment."
    )


class IdempotencyKeyReused(ApplicationError):
    """The `Idempotency-Key` was used for a different request (another body, path or method)."""

    code = ErrorCode.IDEMPOTENCY_KEY_REUSED
    http_status = 422
    default_message = _(
        "This Idempotency-Key was already used for a different request. "
        "Use a new key for a new request."
    )


class InsufficientCredits(ApplicationError):
    code = ErrorCode.INSUFFICIENT_CREDITS
    http_status = 402
    default_message = _("Not enough credits for this action.")


class ServiceUnavailable(ApplicationError):
    code = ErrorCode.SERVICE_UNAVAILABLE
    http_status = 503
    default_message = _("The service is temporarily unavailable. Try again later.")


class BillingNotConfigured(ApplicationError):
    code = ErrorCode.BILLING_NOT_CONFIGURED
    http_status = 503
    default_message = _("Billing is not configured on this server.")


# The errors below are raised by Django REST framework or the middleware rather than by our
# services; they are here so that the catalogue, and the schema built from it, has every code.


class ParseError(ApplicationError):
    code = ErrorCode.PARSE_ERROR
    http_status = 400
    default_message = _("Malformed request.")


class NotAuthenticated(ApplicationError):
    code = ErrorCode.NOT_AUTHENTICATED
    http_status = 401
    default_message = _("Authentication credentials were not provided.")


class PayloadTooLarge(ApplicationError):
    code = ErrorCode.PAYLOAD_TOO_LARGE
    http_status = 413
    default_message = _("The request body is too large.")


class UnsupportedMediaType(ApplicationError):
    code = ErrorCode.UNSUPPORTED_MEDIA_TYPE
    http_status = 415
    default_message = _("Unsupported media type in the request.")


class Throttled(ApplicationError):
    code = ErrorCode.THROTTLED
    http_status = 429
    default_message = _("Request was throttled. Retry after the time in Retry-After.")


def validation_failed(field: str, message: str | Promise) -> ValidationFailed:
    """A validation error about one field, the most common case."""
    return ValidationFailed(fields={field: [message]})
