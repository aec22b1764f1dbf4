"""The one place where errors become responses: `{"error": {"code", "message", "fields"}}`.

DRF's own exceptions, Django's Http404/PermissionDenied, our ApplicationError subclasses and
anything unexpected all leave through here, so no /api/ path ever answers with HTML or a trace.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import structlog
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import OperationalError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import set_rollback

from .errors import ApplicationError, ServiceUnavailable

logger = structlog.get_logger(__name__)

_NON_FIELD_KEYS = {"non_field_errors", "detail"}


def render_exception(exc: Exception, context: Mapping[str, Any]) -> Response:
    if isinstance(exc, ApplicationError):
        return _response(exc.http_status, exc.as_payload(), exc.headers)
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    if isinstance(exc, drf.APIException):
        return _render_drf_exception(exc)
    if isinstance(exc, OperationalError):
        # The database is down or too busy: a retryable condition, not a bug.
        logger.warning("database_unavailable", view=_view_name(context), error=str(exc))
        return _response(503, ServiceUnavailable().as_payload(), {"Retry-After": "5"})
    logger.exception("unhandled_api_error", view=_view_name(context))
    set_rollback()
    payload = {"error": {"code": "server_error", "message": _("An unexpected error occurred.")}}
    return Response(payload, status=500)


def _render_drf_exception(exc: drf.APIException) -> Response:
    headers: dict[str, str] = {}
    wait = getattr(exc, "wait", None)
    if isinstance(exc, drf.Throttled) and wait is not None:
        headers["Retry-After"] = str(max(1, math.ceil(wait)))
    if isinstance(exc, drf.NotAuthenticated | drf.AuthenticationFailed):
        headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return _response(exc.status_code, {"error": _describe(exc)}, headers)


def _describe(exc: drf.APIException) -> dict[str, Any]:
    if isinstance(exc, drf.ValidationError):
        return _describe_validation(exc.detail)
    code = _code_for(exc)
    return {"code": code, "message": _first_message(exc.detail)}


def _code_for(exc: drf.APIException) -> str:
    # simplejwt's InvalidToken is an AuthenticationFailed with its own code; clients see one code.
    if isinstance(exc, drf.AuthenticationFailed):
        return "authentication_failed"
    return str(exc.default_code)


def _describe_validation(detail: Any) -> dict[str, Any]:
    fields: dict[str, list[str]] = {}
    _collect_field_errors(detail, "", fields)
    message = _("The submitted data is not valid.")
    if list(fields) == ["non_field_errors"]:
        message = fields["non_field_errors"][0]
    return {"code": "validation_error", "message": message, "fields": fields}


def _collect_field_errors(detail: Any, path: str, into: dict[str, list[str]]) -> None:
    """Nested serializer errors get dotted names: `profile.timezone`, `questions.2.text`."""
    if isinstance(detail, Mapping):
        for name, inner in detail.items():
            key = "non_field_errors" if name in _NON_FIELD_KEYS else str(name)
            _collect_field_errors(inner, f"{path}.{key}" if path else key, into)
    elif isinstance(detail, list | tuple) and any(isinstance(i, Mapping) for i in detail):
        for index, inner in enumerate(detail):
            _collect_field_errors(inner, f"{path}.{index}" if path else str(index), into)
    elif isinstance(detail, list | tuple):
        into.setdefault(path or "non_field_errors", []).extend(str(m) for m in detail)
    else:
        into.setdefault(path or "non_field_errors", []).append(str(detail))


def _first_message(detail: Any) -> str:
    if isinstance(detail, Mapping):
        detail = next(iter(detail.values()), "")
    if isinstance(detail, list | tuple):
        detail = detail[0] if detail else ""
    return str(detail)


def _response(status: int, payload: dict[str, Any], headers: Mapping[str, str]) -> Response:
    set_rollback()
    return Response(payload, status=status, headers=dict(headers))


def _view_name(context: Mapping[str, Any]) -> str:
    view = context.get("view")
    return type(view).__name__ if view is not None else "unknown"
