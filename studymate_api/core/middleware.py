"""Keeps the error envelope on /api/ paths for errors raised outside DRF views.

Django answers unresolved URLs, wrong hosts, CSRF failures and crashes itself, with HTML pages
(debug pages under DEBUG). On /api/ every one of those becomes the JSON envelope instead.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

_CODES: dict[int, tuple[str, str]] = {
    400: ("parse_error", gettext_noop("Malformed request.")),
    401: ("not_authenticated", gettext_noop("Authentication credentials were not provided.")),
    403: ("permission_denied", gettext_noop("You do not have permission to perform this action.")),
    404: ("not_found", gettext_noop("Not found.")),
    405: ("method_not_allowed", gettext_noop("Method not allowed.")),
    413: ("payload_too_large", gettext_noop("The request body is too large.")),
    415: ("unsupported_media_type", gettext_noop("Unsupported media type in the request.")),
}


def error_response(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(
        {"error": {"code": code, "message": message}},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


def is_api_path(path: str) -> bool:
    return path.startswith("/api/")


class ApiErrorEnvelopeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400 or not is_api_path(request.path):
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        return self._envelope_for(response)

    @staticmethod
    def _envelope_for(response: HttpResponse) -> HttpResponse:
        status = response.status_code
        code, message = _CODES.get(
            status, ("server_error", gettext_noop("An unexpected error occurred."))
        )
        if status >= 500:
            status = 500 if status not in (502, 503, 504) else status
        replacement = error_response(status, code, _(message))
        if allow := response.get("Allow"):
            replacement["Allow"] = allow
        return replacement
