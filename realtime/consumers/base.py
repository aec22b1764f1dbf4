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
- Handshake: `realtime.auth.JWTAuthMiddleware` put the user in the scope; without a valid token
  the socket is accepted and closed with 4401; `staff_only` consumers close non-staff with 4403.
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

import json
import time
from typing import Any, ClassVar

import structlog
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from studymate_api.core.errors import ApplicationError
from studymate_api.metrics import websocket_connected, websocket_disconnected
from studymate_api.observability import websocket_tracing
from studymate_api.observability.request_id import bind_connection_request_id

from ..auth import CLOSE_FORBIDDEN, CLOSE_RATE_LIMITED, CLOSE_UNAUTHENTICATED
from ..broadcast import EVENT_MESSAGE_TYPE

logger = structlog.get_logger(__name__)


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
        with websocket_tracing.connect_span(self) as span:  # a no-op when tracing is off
            await self.accept()
            if self.scope.get("auth_error") is not None or not getattr(
                self.user, "is_authenticated", False
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
            await self.on_connected()

    async def disconnect(self, code: int) -> None:
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
                span.message_type(message.get("type"), self.message_types)
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
        if not isinstance(kind, str) or kind not in self.message_types:
            allowed = ", ".join(sorted(self.message_types))
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

    # Outgoing events

    async def send_json(self, event: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(event, separators=(",", ":"), default=str))

    async def send_error(self, code: str, message: str) -> None:
        await self.send_json({"type": "error", "code": code, "message": message})

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Group events skip Channels' per-message `aclose_old_connections()`: it is a hop to
        the one sync thread for every event and every socket, which capped a 1,000-member room
        far below 5,000 deliveries/s. Forwarding an event touches no database; the handlers
        that do go through `database_sync_to_async`, which closes old connections itself."""
        if message.get("type") == EVENT_MESSAGE_TYPE:
            await self.realtime_event(message)
            return
        await super().dispatch(message)

    async def realtime_event(self, message: dict[str, Any]) -> None:
        """An event sent to one of this socket's groups (`realtime.broadcast`)."""
        await self.send_json(message["event"])
