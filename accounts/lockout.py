"""How a lockout looks to a client: the API's envelope instead of django-axes' HTML page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from studymate_api.core.errors import AccountLocked


def lockout_response(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: called by AxesMiddleware when a request has just been locked out."""
    error = AccountLocked()
    return JsonResponse(
        error.as_payload(), status=error.http_status, json_dumps_params={"ensure_ascii": False}
    )
