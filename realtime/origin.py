"""The `Origin` rule of WebSocket handshakes, wired outermost in `studymate_api.asgi`.

- No `Origin` header: not a browser (native apps, servers, scripts). Nothing to check: the
  token alone decides (`realtime.auth`).
- An `Origin` of this site: its host is in ALLOWED_HOSTS, as Channels'
  `AllowedHostsOriginValidator` judges it (the dashboard page, same-host web apps).
- An `Origin` listed in CORS_ALLOWED_ORIGINS: the web apps REST lets in too, one list for both.
- Any other `Origin` (including `null`): refused before the token is read, so a foreign page
  cannot use a socket with a token it got hold of. The handshake is accepted and then closed
  with 4403, so the client sees the same close code it would get for a forbidden route. A
  refused handshake would only show browsers "1006".
"""

from __future__ import annotations

from typing import Any
from urllib.parse import ParseResult, urlparse

import structlog
from channels.security.websocket import OriginValidator
from django.conf import settings

from .auth import CLOSE_FORBIDDEN

Scope = dict[str, Any]

logger = structlog.get_logger(__name__)


def handshake_origin(scope: Scope) -> ParseResult | None:
    """The parsed `Origin` header of the handshake; None when it has none."""
    for name, value in scope.get("headers", ()):
        if bytes(name).lower() == b"origin":
            return urlparse(bytes(value).decode("latin-1").strip())
    return None


def _allowed_patterns() -> list[str]:
    hosts = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not hosts:  # what Django itself allows then
        hosts = ["localhost", "127.0.0.1", "[::1]"]
    return [*hosts, *settings.CORS_ALLOWED_ORIGINS]


def origin_allowed(origin: ParseResult) -> bool:
    # Channels' matching: a bare host pattern (ALLOWED_HOSTS) compares the host only; a pattern
    # with a scheme (CORS_ALLOWED_ORIGINS) compares scheme, host and port.
    matcher = OriginValidator(None, _allowed_patterns())
    return bool(matcher.validate_origin(origin))


class OriginCheckMiddleware:
    """Refuses browser handshakes from origins outside the allowed list with accept + 4403."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> Any:
        if scope.get("type") == "websocket":
            origin = handshake_origin(scope)
            if origin is not None and not origin_allowed(origin):
                # Names the origin, so a web app missing from CORS_ALLOWED_ORIGINS is easy to spot.
                logger.info("realtime_origin_refused", origin=origin.geturl()[:200])
                return await _accept_and_close(receive, send, CLOSE_FORBIDDEN)
        return await self.inner(scope, receive, send)


async def _accept_and_close(receive: Any, send: Any, code: int) -> None:
    message = await receive()
    if message.get("type") != "websocket.connect":
        return
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.close", "code": code})
