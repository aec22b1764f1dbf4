"""Application errors: services raise these, one exception handler renders them.

Each error carries a stable snake_case `code` (clients switch on it), an HTTP status and a
human message that is translated at render time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class ApplicationError(Exception):
    code: ClassVar[str] = "error"
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
    code = "validation_error"
    http_status = 400
    default_message = _("The submitted data is not valid.")


class AuthenticationFailed(ApplicationError):
    code = "authentication_failed"
    http_status = 401
    default_message = _("Incorrect authentication credentials.")


class PermissionDenied(ApplicationError):
    code = "permission_denied"
    http_status = 403
    default_message = _("You do not have permission to perform this action.")


class AccountLocked(ApplicationError):
    code = "account_locked"
    http_status = 403
    default_message = _(
        "This account is locked after too many failed login attempts. Try again later."
    )


class NotFound(ApplicationError):
    code = "not_found"
    http_status = 404
    default_message = _("Not found.")


class Conflict(ApplicationError):
    code = "conflict"
    http_status = 409
    default_message = _("The request conflicts with the current state of the resource.")


class InsufficientCredits(ApplicationError):
    code = "insufficient_credits"
    http_status = 402
    default_message = _("Not enough credits for this action.")


class ServiceUnavailable(ApplicationError):
    code = "service_unavailable"
    http_status = 503
    default_message = _("The service is temporarily unavailable. Try again later.")


class BillingNotConfigured(ApplicationError):
    code = "billing_not_configured"
    http_status = 503
    default_message = _("Billing is not configured on this server.")


def validation_failed(field: str, message: str | Promise) -> ValidationFailed:
    """A validation error about one field, the most common case."""
    return ValidationFailed(fields={field: [message]})
