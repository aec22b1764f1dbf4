"""The request id: one value in every log line of a request, its tasks and its socket.

A client (or the ingress) may send `X-Request-ID`; a value that is short and plain is kept so
logs can be matched across services, anything else is replaced by a new id, so a header can
never inject text into the logs. The id goes back in the response's `X-Request-ID`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import structlog
from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
LOG_KEY = "request_id"
MAX_LENGTH = 128
_META_KEY = "HTTP_X_REQUEST_ID"
_ASGI_HEADER = HEADER.lower().encode("latin-1")
_SAFE = re.compile(r"^[A-Za-z0-9._:\-]+$")


def new_request_id() -> str:
    return uuid.uuid4().hex


def request_id_from(raw: str | None) -> str:
    """The caller's id when it is a plain, bounded token; a fresh one otherwise."""
    value = (raw or "").strip()
    if 0 < len(value) <= MAX_LENGTH and _SAFE.match(value):
        return value
    return new_request_id()


def request_id_from_asgi_headers(headers: Iterable[tuple[bytes, bytes]]) -> str:
    for name, value in headers:
        if name.lower() == _ASGI_HEADER:
            return request_id_from(value.decode("latin-1"))
    return new_request_id()


def current_request_id() -> str | None:
    value = structlog.contextvars.get_contextvars().get(LOG_KEY)
    return value if isinstance(value, str) else None


class RequestIdMiddleware:
    """Binds the id for the request's log lines and answers with it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_from(request.META.get(_META_KEY))
        request.META[_META_KEY] = request_id  # what views and error reports see
        tokens = structlog.contextvars.bind_contextvars(**{LOG_KEY: request_id})
        try:
            response = self.get_response(request)
        finally:
            structlog.contextvars.reset_contextvars(**tokens)
        response[HEADER] = request_id
        return response


def bind_connection_request_id(scope: Mapping[str, Any]) -> str:
    """For a WebSocket: binds the handshake's id (or a new one) in the connection's context.

    Channels runs each connection in an asyncio task of its own, so the binding lasts exactly
    as long as the socket and is copied into `database_sync_to_async` threads."""
    request_id = request_id_from_asgi_headers(scope.get("headers") or ())
    structlog.contextvars.bind_contextvars(**{LOG_KEY: request_id})
    return request_id
