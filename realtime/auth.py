"""JWT authentication of WebSocket handshakes — every realtime consumer relies on it.

Usage (consumers; see `realtime.consumers.base.JsonConsumer`, which does this for you):

    user = self.scope["user"]            # a User, or AnonymousUser when not authenticated
    error = self.scope["auth_error"]     # None, or one of AUTH_MISSING / AUTH_INVALID
    if error is not None:
        await self.close(code=CLOSE_UNAUTHENTICATED)   # 4401
    if not user.is_staff:                # staff-only routes (monitoring)
        await self.close(code=CLOSE_FORBIDDEN)         # 4403

The access token comes from `?token=<jwt>` or an `Authorization: Bearer <jwt>` handshake
header (the query wins when both are present: browsers cannot set headers on a WebSocket). It is
validated exactly as REST validates it — simplejwt's `JWTAuthentication`: signature, expiry,
token type, an existing active user and the revoke claim (a password change revokes every access
token) — so a token REST refuses is refused here too.

`JWTAuthMiddleware` is wired around the URL router in `studymate_api.asgi`.
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.contrib.auth.models import AnonymousUser
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication

# Close codes (4000-4999 are the application's; they mirror the HTTP statuses).
CLOSE_UNAUTHENTICATED: Final = 4401
CLOSE_FORBIDDEN: Final = 4403
CLOSE_RATE_LIMITED: Final = 4429
CLOSE_MESSAGE_TOO_BIG: Final = 1009  # RFC 6455: a frame too big to process

# Values of scope["auth_error"].
AUTH_MISSING: Final = "token_missing"
AUTH_INVALID: Final = "token_invalid"

# Tokens are a few hundred bytes; anything far larger is garbage, refused before decoding.
_MAX_TOKEN_LENGTH = 4096

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


def user_for_token(token: str) -> Any | None:
    """The active user the access token belongs to, or None if REST would refuse the token."""
    if len(token) > _MAX_TOKEN_LENGTH:
        return None
    authentication = JWTAuthentication()
    try:
        validated = authentication.get_validated_token(token.encode())
        # get_user checks that the user exists and is active, and the revoke claim.
        return authentication.get_user(validated)
    except AuthenticationFailed:  # simplejwt's InvalidToken is one too
        return None


async def authenticate_scope(scope: Scope) -> tuple[Any, str | None]:
    """(user, auth_error) for the handshake in `scope`."""
    token = token_from_scope(scope)
    if token is None:
        return AnonymousUser(), AUTH_MISSING
    user = await database_sync_to_async(user_for_token)(token)
    if user is None:
        return AnonymousUser(), AUTH_INVALID
    return user, None


# channels ships no type information: its classes are Any to mypy.
class JWTAuthMiddleware(BaseMiddleware):  # type: ignore[misc]
    """Sets scope["user"] and scope["auth_error"] on every WebSocket handshake. It never refuses
    a connection itself: the consumer accepts and then closes with 4401/4403, so the client
    sees the close code (a refused handshake only tells browsers "1006")."""

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> Any:
        if scope.get("type") != "websocket":
            return await super().__call__(scope, receive, send)
        user, error = await authenticate_scope(scope)
        scope = dict(scope, user=user, auth_error=error)
        return await super().__call__(scope, receive, send)
