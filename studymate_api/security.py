"""Request limits and security headers shared by every process."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from studymate_api.core.middleware import error_response


class RequestSizeLimitMiddleware:
    """Refuses bodies over DATA_UPLOAD_MAX_MEMORY_SIZE with 413 before anything reads them.

    Django checks that limit only when `request.body` or form data is read; DRF's parsers read
    the stream directly and would accept any size.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit: int | None = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and self._declared_length(request) > limit:
            return error_response(413, "payload_too_large", _("The request body is too large."))
        return self.get_response(request)

    @staticmethod
    def _declared_length(request: HttpRequest) -> int:
        try:
            return int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return 0
