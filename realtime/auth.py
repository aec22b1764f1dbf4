"""JWT authentication of WebSocket handshakes. Every realtime consumer relies on it.

Usage (consumers; see `realtime.consumers.base.JsonConsumer`, which does this for you):

    user = self.scope["user"]            # a User, or AnonymousUser when not authenticated
    error = self.scope["auth_error"]     # None, or one of AUTH_MISSING / AUTH_INVALID
    grant = self.scope["access_grant"]   # accounts.tokens.AccessGrant, or None
    if error is not None:
        await self.close(code=CLOSE_UNAUTHENTICATED)   # 4401
    if not user.is_staff:                # staff-only routes (monitoring)
        await self.close(code=CLOSE_FORBIDDEN)         # 4403

The access token comes from `?token=<jwt>` or an `Authorization: Bearer <jwt>` handshake
header. The query wins when both are present, because browsers cannot set headers on a
WebSocket. It is judged exactly as REST judges it (`accounts.selectors.access_grant_for_token`,
the same `AccessTokenAuthentication`): signature, expiry, token type, an existing active user,
the password claim (a password change revokes every access token) and its sign-in (a logout
revokes the sign-in's access tokens). So a token REST refuses is refused here too, whether the
handshake has an `Origin` or not. `realtime.origin` has already turned away browser pages of
foreign origins.

The handshake is only the start. The grant tells the consumer when the token expires and what
must stay true for it to hold. `JsonConsumer` closes the socket with 4401 at expiry unless the
client sends a fresh token (`{"type": "auth", "token": ...}`), and re-checks the grant when the
user's credentials change (`realtime.subscribers`).

`OriginCheckMiddleware(JWTAuthMiddleware(router))` is wired in `studymate_api.asgi`.
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.contrib.auth.models import AnonymousUser

from accounts.selectors import AccessGrant, access_grant_for_token

# Close codes (4000-4999 are the application's; they mirror the HTTP statuses).
CLOSE_UNAUTHENTICATED: Final = 4401
CLOSE_FORBIDDEN: Final = 4403
CLOSE_RATE_LIMITED: Final = 4429
CLOSE_MESSAGE_TOO_BIG: Final = 1009  # RFC 6455: a frame too big to process

# Values of scope["auth_error"].
AUTH_MISSING: Final = "token_missing"
AUTH_INVALID: Final = "token_invalid"

Scope = dict[str, Any]


def token_from_scope(scope: Scope) -> str | None:
    """The raw access token of the handshake: `?token=` first, then `Authorization: Bearer`."""
    query = bytes(scope.get("query_string", b"")).decode("latin-1")
    values = parse_qs(query).get("token")
    if values and values[0].strip():
        return values[0].strip()
    for name, value in scope.get("headers", ()):
        if bytes(name).lower() == b"authorization":
            scheme, _sep, token = bytes(value).decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    return None


async def authenticate_scope(scope: Scope) -> tuple[Any, str | None, AccessGrant | None]:
    """(user, auth_error, grant) for the handshake in `scope`."""
    token = token_from_scope(scope)
    if token is None:
        return AnonymousUser(), AUTH_MISSING, None
    grant = await database_sync_to_async(access_grant_for_token)(token)
    if grant is None:
        return AnonymousUser(), AUTH_INVALID, None
    return grant.user, None, grant


# channels ships no type information: its classes are Any to mypy.
class JWTAuthMiddleware(BaseMiddleware):  # type: ignore[misc]
    """Sets scope["user"], scope["auth_error"] and scope["access_grant"] on every WebSocket
    handshake. It never refuses a connection itself: the consumer accepts and then closes with
    4401/4403, so the client sees the close code (a refused handshake only tells browsers
    "1006")."""

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> Any:
        if scope.get("type") != "websocket":
            return await super().__call__(scope, receive, send)
        user, error, grant = await authenticate_scope(scope)
        scope = dict(scope, user=user, auth_error=error, access_grant=grant)
        return await super().__call__(scope, receive, send)
