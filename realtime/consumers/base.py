"""The base of every realtime consumer: authentication, JSON messages with a `type`, limits.

Subclass `JsonConsumer`, set `route` (the metrics label) and `message_types`, and write one
`async def on_<type>(self, message)` per type (`on_chat` for `{"type": "chat", ...}`):

    class RoomConsumer(JsonConsumer):
        route = "study_room"
        message_types = frozenset({"chat", "timer"})

        async def on_connected(self) -> None:       # authenticated (and staff if staff_only)
            await self.join_group(room_group(...))   # left automatically on disconnect

        async def on_chat(self, message: dict[str, Any]) -> None:
            raise ClientError("chat_too_long", _("..."))   # -> an error event, socket stays open

What the base does:
- Handshake: `realtime.origin` turned away foreign browser origins (4403) and
  `realtime.auth.JWTAuthMiddleware` put the user and the token's grant in the scope; without a
  valid token the socket is accepted and closed with 4401; `staff_only` consumers close non-staff
  with 4403. The same codes whether the handshake had an `Origin` or not.
- The socket lives only as long as its credentials:
  * it closes with 4401 when its access token expires, unless the client sent a fresh one first:
    `{"type": "auth", "token": "<access token>"}`. A valid access token of the same user
    replaces the socket's credentials: the deadline moves to the new token's expiry and the
    server answers `{"type": "auth_ok", "expires_at": "<ISO 8601>"}`. Anything else is answered
    with an error event and changes nothing, so the socket still closes at its current deadline:
    `invalid_message` (no token), `token_invalid` (bad, expired or revoked),
    `token_user_mismatch` (another user's token: a socket never changes users; open a new one).
    A staff-only socket handed a valid token of its user who is no longer staff closes with 4403.
  * every socket joins its user's group (`realtime.broadcast.user_sockets_group`). When the
    user's credentials change anywhere (logout, password change, deactivation, staff removal:
    `accounts.events`, relayed by `realtime.subscribers` through the channel layer, so across
    processes), each socket re-checks its own grant (`accounts.selectors.access_grant_holder`)
    and closes with 4401 if it no longer holds (its sign-in ended, the password changed, the
    user is inactive or gone) or with 4403 if a staff-only socket's user lost staff.
- Every frame goes through a per-connection token bucket (`rate_per_second`, `burst`); a flood
  gets one `rate_limited` error, and `flood_close_after` refused frames in a row close it
  with 4429. Frames over `max_message_bytes` get a `message_too_big` error (daphne itself
  closes with 1009 above 1 MiB). Invalid JSON, a non-object, a missing or unknown `type`: an
  `error` event `{"type": "error", "code", "message"}`; the socket stays open.
- `ClientError` and `ApplicationError` raised by a handler become error events; anything else
  is logged and reported as `internal_error` — a bad message never kills the connection.
- `websocket_connected(route)` / `websocket_disconnected(route)` metrics, exactly once each.
- With tracing on, spans `ws.connect`, `ws.receive <type>` and `ws.disconnect`
  (`studymate_api.observability.websocket_tracing`); group events are not traced.
- Events sent with `realtime.broadcast` (`broadcast_on_commit`, `LoopSender`) to a group the
  socket joined arrive through `realtime_event` and go to the client as they are.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import time
from typing import Any, ClassVar, Final

import structlog
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from accounts.selectors import AccessGrant, access_grant_for_token, access_grant_holder
from studymate_api.core.errors import ApplicationError
from studymate_api.metrics import websocket_connected, websocket_disconnected
from studymate_api.observability import websocket_tracing
from studymate_api.observability.request_id import bind_connection_request_id

from ..auth import CLOSE_FORBIDDEN, CLOSE_RATE_LIMITED, CLOSE_UNAUTHENTICATED
from ..broadcast import EVENT_MESSAGE_TYPE, user_sockets_group

logger = structlog.get_logger(__name__)

# Handled by the base on every route, whatever the consumer's `message_types`.
AUTH_MESSAGE_TYPE: Final = "auth"
BASE_MESSAGE_TYPES: Final = frozenset({AUTH_MESSAGE_TYPE})


class ClientError(Exception):
    """A message the client got wrong: reported to it as an error event, socket kept open."""

    def __init__(self, code: str, message: str | Promise) -> None:
        super().__init__(str(message))
        self.code = code
        self.message = str(message)


class TokenBucket:
    """`rate` tokens a second, at most `burst` saved up; one token per frame."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._updated = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
        self._updated = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True


# channels ships no type information: its classes are Any to mypy.
class JsonConsumer(AsyncWebsocketConsumer):  # type: ignore[misc]
    route: ClassVar[str] = "realtime"
    staff_only: ClassVar[bool] = False
    message_types: ClassVar[frozenset[str]] = frozenset()
    # None: the REALTIME_WS_* settings.
    max_message_bytes: ClassVar[int | None] = None
    rate_per_second: ClassVar[float | None] = None
    burst: ClassVar[int | None] = None
    flood_close_after: ClassVar[int] = 50

    user: Any
    _grant: AccessGrant | None = None
    _expiry_watch: asyncio.Task[None] | None = None
    _accepted_user: bool = False
    _groups_joined: set[str]
    _refused_in_a_row: int = 0
    _closing: bool = False  # closed by us; frames still in flight are ignored

    # Handshake and teardown

    async def connect(self) -> None:
        # Every log line of this socket carries the handshake's request id (or a new one).
        self.request_id = bind_connection_request_id(self.scope)
        self._groups_joined = set()
        self._bucket = TokenBucket(
            self.rate_per_second or settings.REALTIME_WS_RATE_PER_SECOND,
            self.burst or settings.REALTIME_WS_BURST,
        )
        self.user = self.scope.get("user")
        self._grant = self.scope.get("access_grant")
        with websocket_tracing.connect_span(self) as span:  # a no-op when tracing is off
            await self.accept()
            if (
                self.scope.get("auth_error") is not None
                or self._grant is None  # no JWTAuthMiddleware in front: nothing to follow
                or not getattr(self.user, "is_authenticated", False)
            ):
                span.closed(CLOSE_UNAUTHENTICATED)
                await self.close(code=CLOSE_UNAUTHENTICATED)
                return
            if self.staff_only and not self.user.is_staff:
                span.closed(CLOSE_FORBIDDEN)
                await self.close(code=CLOSE_FORBIDDEN)
                return
            self._accepted_user = True
            websocket_connected(self.route)
            # First, so a credentials change from here on reaches this socket.
            await self.join_group(user_sockets_group(self.user.pk))
            self._watch_expiry(self._grant)
            await self.on_connected()

    async def disconnect(self, code: int) -> None:
        if self._expiry_watch is not None:
            self._expiry_watch.cancel()
        if not self._accepted_user:
            return
        self._accepted_user = False
        websocket_disconnected(self.route)
        with websocket_tracing.disconnect_span(self, code):
            try:
                await self.on_disconnected(code)
            finally:
                for group in list(self._groups_joined):
                    await self.leave_group(group)

    async def on_connected(self) -> None:
        """Authenticated and allowed: join groups, send the first state."""

    async def on_disconnected(self, code: int) -> None:
        """The socket is gone (groups are left after this returns)."""

    async def join_group(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self._groups_joined.add(group)

    async def leave_group(self, group: str) -> None:
        self._groups_joined.discard(group)
        await self.channel_layer.group_discard(group, self.channel_name)

    # Incoming frames

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not self._accepted_user or self._closing:
            return
        with websocket_tracing.receive_span(self) as span:  # a no-op when tracing is off
            if not self._bucket.take():
                span.refused("rate_limited")
                await self._refuse_flood()
                return
            self._refused_in_a_row = 0
            try:
                message = self._parse(text_data, bytes_data)
                span.message_type(message.get("type"), self.message_types | BASE_MESSAGE_TYPES)
                await self._dispatch(message)
            except ClientError as error:
                span.refused(error.code)
                await self.send_error(error.code, error.message)
            except ApplicationError as error:
                span.refused(error.code)
                await self.send_error(error.code, str(error.message))
            except Exception as error:
                span.failed(error)
                logger.exception("realtime_handler_failed", route=self.route)
                await self.send_error("internal_error", _("The message could not be processed."))

    def _parse(self, text_data: str | None, bytes_data: bytes | None) -> dict[str, Any]:
        raw: str | bytes = text_data if text_data is not None else (bytes_data or b"")
        size = len(raw.encode()) if isinstance(raw, str) else len(raw)
        limit = self.max_message_bytes or settings.REALTIME_WS_MAX_MESSAGE_BYTES
        if size > limit:
            message = _("Messages are limited to %(limit)d bytes.") % {"limit": limit}
            raise ClientError("message_too_big", message)
        try:
            value = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested too deep
            raise ClientError("invalid_json", _("The message is not valid JSON.")) from None
        if not isinstance(value, dict):
            raise ClientError("invalid_message", _("A message is a JSON object with a type."))
        return value

    async def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == AUTH_MESSAGE_TYPE:
            await self._renew_credentials(message)
            return
        if not isinstance(kind, str) or kind not in self.message_types:
            allowed = ", ".join(sorted(self.message_types | BASE_MESSAGE_TYPES))
            text = _("Unknown message type. Expected one of: %(types)s.") % {"types": allowed}
            raise ClientError("unknown_type", text)
        await getattr(self, f"on_{kind}")(message)

    async def _refuse_flood(self) -> None:
        self._refused_in_a_row += 1
        if self._refused_in_a_row == 1:
            await self.send_error("rate_limited", _("Too many messages. Slow down."))
        if self._refused_in_a_row >= self.flood_close_after:
            logger.info("realtime_flood_closed", route=self.route, user_id=self.user.pk)
            self._closing = True
            await self.close(code=CLOSE_RATE_LIMITED)

    # Credentials: the socket lives as long as they hold

    async def _renew_credentials(self, message: dict[str, Any]) -> None:
        """`{"type": "auth", "token"}`: a fresh access token of the same user carries the socket
        past its current token's expiry. See the module docstring for the answers."""
        token = message.get("token")
        if not isinstance(token, str) or not token.strip():
            raise ClientError("invalid_message", _("An auth message carries a `token`."))
        grant = await database_sync_to_async(access_grant_for_token)(token.strip())
        if grant is None:
            raise ClientError(
                "token_invalid",
                _("The token is invalid, expired or revoked; the socket keeps its current one."),
            )
        if grant.user.pk != self.user.pk:
            raise ClientError(
                "token_user_mismatch",
                _("The token belongs to another user; open a new socket to switch users."),
            )
        if self.staff_only and not grant.user.is_staff:
            await self._close_for_credentials(CLOSE_FORBIDDEN)
            return
        self._grant = grant
        self.user = grant.user
        self._watch_expiry(grant)
        expires_at = datetime.datetime.fromtimestamp(grant.expires_at, tz=datetime.UTC)
        await self.send_json({"type": "auth_ok", "expires_at": expires_at.isoformat()})

    def _watch_expiry(self, grant: AccessGrant) -> None:
        """Close with 4401 when `grant` expires (a watch already running is replaced)."""
        if self._expiry_watch is not None:
            self._expiry_watch.cancel()
        self._expiry_watch = asyncio.create_task(self._close_at(grant.expires_at))

    async def _close_at(self, expires_at: int) -> None:
        await asyncio.sleep(max(0.0, expires_at - time.time()))
        await self._close_for_credentials(CLOSE_UNAUTHENTICATED)

    async def realtime_credentials(self, message: dict[str, Any]) -> None:
        """The user's credentials changed somewhere (`realtime.broadcast.
        credentials_recheck_on_commit`): does this socket's grant still hold?"""
        if not self._accepted_user or self._closing or self._grant is None:
            return
        user = await database_sync_to_async(access_grant_holder)(self._grant)
        if user is None:
            await self._close_for_credentials(CLOSE_UNAUTHENTICATED)
        elif self.staff_only and not user.is_staff:
            await self._close_for_credentials(CLOSE_FORBIDDEN)
        else:
            self.user = user

    async def _close_for_credentials(self, code: int) -> None:
        if self._closing:
            return
        self._closing = True
        logger.info(
            "realtime_credentials_closed", route=self.route, user_id=self.user.pk, code=code
        )
        await self.close(code=code)

    # Outgoing events

    async def send_json(self, event: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(event, separators=(",", ":"), default=str))

    async def send_error(self, code: str, message: str) -> None:
        await self.send_json({"type": "error", "code": code, "message": message})

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Group events and client frames skip Channels' per-message
        `aclose_old_connections()`: it is a hop to the one sync thread for every message of
        every socket, which capped a 1,000-member room far below 5,000 deliveries/s and doubled
        the thread hops of an activity event. Forwarding an event touches no database,
        and neither does most of a frame's handling; the handlers that do go through
        `database_sync_to_async`, which closes old connections itself, before and after."""
        kind = message.get("type")
        if kind == EVENT_MESSAGE_TYPE:
            await self.realtime_event(message)
            return
        if kind == "websocket.receive":
            await self.websocket_receive(message)
            return
        await super().dispatch(message)

    async def realtime_event(self, message: dict[str, Any]) -> None:
        """An event sent to one of this socket's groups (`realtime.broadcast`)."""
        await self.send_json(message["event"])
