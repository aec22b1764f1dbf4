"""How a lockout looks to a client: the API's envelope instead of django-axes' HTML page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from studymate_api.core.errors import AccountLocked
from studymate_api.core.middleware import error_response


def lockout_response(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: called by AxesMiddleware when a request has just been locked out."""
    error = AccountLocked()
    return error_response(error.http_status, error.code, str(error.message))
