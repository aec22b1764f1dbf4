"""Request limits and security headers shared by every process."""

from __future__ import annotations

import os
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
        if limit is not None and self._body_length(request) > limit:
            return error_response(413, "payload_too_large", _("The request body is too large."))
        return self.get_response(request)

    @staticmethod
    def _body_length(request: HttpRequest) -> int:
        if not request.META.get("CONTENT_LENGTH"):
            return _spooled_length(request)
        try:
            return int(request.META["CONTENT_LENGTH"])
        except ValueError:
            return 0


def _spooled_length(request: HttpRequest) -> int:
    """A chunked upload has no Content-Length; ASGI servers hand Django such a body already
    spooled to a file, so its size is known without reading it (WSGI streams are not seekable
    and count as empty, as Django reads them)."""
    stream = getattr(request, "_stream", None)
    if stream is None or not stream.seekable():
        return 0
    position = stream.tell()
    end = int(stream.seek(0, os.SEEK_END))
    stream.seek(position)
    return end
