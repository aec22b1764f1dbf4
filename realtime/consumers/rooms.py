"""`/ws/study/room/{room_id}/`: presence, chat, the shared pomodoro timer, typing and focus.

Client -> server:
    {"type": "chat", "message": "..."}
    {"type": "timer", "action": "start"|"pause"|"reset", "focus_minutes"?, "break_minutes"?}
    {"type": "status", "typing"?: bool, "focus"?: "focused"|"away"}
    {"type": "heartbeat"}
Server -> client:
    {"type": "snapshot", "room", "members": [...], "timer": {...}}   (once, on connect)
    {"type": "join"|"leave", "users": [{...}, ...]}  (batched: see PresenceAnnouncer)
    {"type": "chat", "id", "user", "message", "created_at"}
    {"type": "timer", "status", "phase", "remaining_seconds", "ends_at", ...}
    {"type": "status", "user": {"id", "username", "typing", "focus"}}
    {"type": "member_removed", "user"} / {"type": "room_closed"}  (then the socket closes)

Only members connect: a private room someone is not in closes with 4404 (it does not exist for
them), a public room they have not joined with 4403. Presence lives in the shared store
(`realtime.services.room_live`), every event crosses processes through the room's group.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any, ClassVar, Final

import structlog
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.layers import BaseChannelLayer
from django.conf import settings
from django.utils.translation import gettext as _

from ..auth import CLOSE_FORBIDDEN
from ..broadcast import layer_message
from ..selectors.rooms import NotARoomMember, RoomNotFound, room_get_for_member
from ..services import room_live
from ..services.room_live import MemberStatus
from ..services.room_timer import PomodoroTimer
from ..services.rooms import MEMBER_REMOVED, ROOM_CLOSED, room_group, room_message_post
from .base import ClientError, JsonConsumer

logger = structlog.get_logger(__name__)

CLOSE_NOT_FOUND: Final = 4404
FOCUS_STATES: Final = frozenset({"focused", "away"})
TIMER_ACTIONS: Final = frozenset({"start", "pause", "reset"})

# Delayed sweeps outlive the consumer that scheduled them; keep them referenced until done.
_pending_sweeps: set[asyncio.Task[None]] = set()


def _in_thread(function: Any) -> Any:
    """Store calls are blocking I/O (Redis): run them off the event loop."""
    return sync_to_async(function, thread_sensitive=False)


class RoomConsumer(JsonConsumer):
    route = "study_room"
    message_types: ClassVar[frozenset[str]] = frozenset({"chat", "timer", "status", "heartbeat"})

    room_id: int
    _heartbeat: asyncio.Task[None] | None = None
    _present: bool = False
    _typing: bool = False

    async def on_connected(self) -> None:
        self.room_id = int(self.scope["url_route"]["kwargs"]["room_id"])
        try:
            room = await database_sync_to_async(room_get_for_member)(
                user=self.user, room_id=self.room_id
            )
        except RoomNotFound:
            await self._close(CLOSE_NOT_FOUND)
            return
        except NotARoomMember:
            await self._close(CLOSE_FORBIDDEN)
            return
        await self.join_group(room_group(self.room_id))
        await self._enter()
        await self.send_json(await self._snapshot({"id": room.pk, "name": room.name}))
        self._heartbeat = asyncio.create_task(self._beat())

    async def on_disconnected(self, code: int) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        if not self._present:
            return
        self._present = False
        await _in_thread(room_live.presence_drop)(
            room_id=self.room_id, user_id=self.user.pk, channel=self.channel_name
        )
        # Announce the leave once the grace period is over, unless a reconnect came first.
        delay = settings.REALTIME_PRESENCE_GRACE_SECONDS + 0.2
        task = asyncio.create_task(_sweep_later(self.channel_layer, self.room_id, delay))
        _pending_sweeps.add(task)
        task.add_done_callback(_pending_sweeps.discard)

    # --- messages from the client ---------------------------------------------------------

    async def on_chat(self, message: dict[str, Any]) -> None:
        text = message.get("message")
        if not isinstance(text, str):
            raise ClientError("invalid_message", _("A chat message needs a `message` text."))
        # Stored, then broadcast to the room after commit (the sender hears it too).
        await database_sync_to_async(room_message_post)(
            user=self.user, room_id=self.room_id, body=text
        )
        if self._typing:  # sending ends typing; others need not wait for the client to say so
            await self._change_status({"typing": False})

    async def on_timer(self, message: dict[str, Any]) -> None:
        action = message.get("action")
        if action not in TIMER_ACTIONS:
            allowed = ", ".join(sorted(TIMER_ACTIONS))
            raise ClientError("invalid_timer_action", _("Use one of: %(a)s.") % {"a": allowed})
        lengths = {
            name: message[name] for name in ("focus_minutes", "break_minutes") if name in message
        }
        if action == "pause" and lengths:
            raise ClientError("invalid_message", _("Pausing takes no timer lengths."))
        user_id = self.user.pk

        def change(timer: PomodoroTimer) -> PomodoroTimer:
            now = time.time()
            if action == "start":
                return timer.start(now, user_id=user_id, **lengths)
            if action == "pause":
                return timer.pause(now, user_id=user_id)
            return timer.reset(now, user_id=user_id, **lengths)

        timer = await _in_thread(room_live.timer_apply)(room_id=self.room_id, change=change)
        await self._to_room(timer.as_event(time.time()))

    async def on_status(self, message: dict[str, Any]) -> None:
        changes: dict[str, Any] = {}
        if "typing" in message:
            if not isinstance(message["typing"], bool):
                raise ClientError("invalid_message", _("`typing` is true or false."))
            changes["typing"] = message["typing"]
        if "focus" in message:
            if message["focus"] not in FOCUS_STATES:
                allowed = ", ".join(sorted(FOCUS_STATES))
                raise ClientError(
                    "invalid_message", _("`focus` is one of: %(a)s.") % {"a": allowed}
                )
            changes["focus"] = message["focus"]
        if not changes:
            raise ClientError("invalid_message", _("Send `typing` and/or `focus`."))
        await self._change_status(changes)

    async def on_heartbeat(self, message: dict[str, Any]) -> None:
        await self._touch()
        await self.send_json({"type": "heartbeat", "server_time": time.time()})

    # --- events from the room's group -----------------------------------------------------

    async def realtime_event(self, message: dict[str, Any]) -> None:
        event = message["event"]
        await self.send_json(event)
        kind = event.get("type")
        if kind == ROOM_CLOSED:
            await self._close(CLOSE_NOT_FOUND)
        elif kind == MEMBER_REMOVED and event.get("user", {}).get("id") == self.user.pk:
            await self._close(CLOSE_FORBIDDEN)

    # --- presence ---------------------------------------------------------------------------

    def _member(self) -> MemberStatus:
        return MemberStatus(user_id=self.user.pk, username=self.user.username)

    async def _enter(self) -> None:
        """Registers this socket; announces `join` only if the member was not present (a second
        tab or a reconnect within the grace period is silent), and any `leave` now due."""
        await self._announce_leaves(
            await _in_thread(room_live.presence_sweep)(room_id=self.room_id)
        )
        newly_present = await _in_thread(room_live.presence_connect)(
            room_id=self.room_id, member=self._member(), channel=self.channel_name
        )
        self._present = True
        if newly_present:
            _announcer.announce(self.channel_layer, self.room_id, "join", self._member())

    async def _touch(self) -> None:
        alive = await _in_thread(room_live.presence_touch)(
            room_id=self.room_id, user_id=self.user.pk, channel=self.channel_name
        )
        if not alive:  # swept while this process stalled: register again
            await self._enter()

    async def _beat(self) -> None:
        """Keeps this socket's entry alive and sweeps sockets whose process vanished. Beats
        start at a random offset, so a room whose members all connected at once does not
        beat in one burst; a process sweeps a room at most once a second, however many of its
        sockets are in it."""
        interval = settings.REALTIME_PRESENCE_TTL_SECONDS / 3
        await asyncio.sleep(random.uniform(0, interval))  # noqa: S311 - spreading load only
        while True:
            try:
                await self._touch()
                if _sweep_due(self.room_id):
                    left = await _in_thread(room_live.presence_sweep)(room_id=self.room_id)
                    await self._announce_leaves(left)
            except Exception:  # the store was unreachable; try again next beat
                logger.warning("room_heartbeat_failed", room_id=self.room_id, exc_info=True)
            await asyncio.sleep(interval)

    async def _announce_leaves(self, members: list[MemberStatus]) -> None:
        for member in members:
            _announcer.announce(self.channel_layer, self.room_id, "leave", member)

    async def _change_status(self, changes: dict[str, Any]) -> None:
        status = await _in_thread(room_live.presence_set_status)(
            room_id=self.room_id, user_id=self.user.pk, **changes
        )
        if status is not None:
            self._typing = status.typing
            await self._to_room({"type": "status", "user": status.as_dict()})

    # --- sending ----------------------------------------------------------------------------

    async def _snapshot(self, room: dict[str, Any]) -> dict[str, Any]:
        members = await _in_thread(room_live.presence_members)(room_id=self.room_id)
        timer = await _in_thread(room_live.timer_get)(room_id=self.room_id)
        return {
            "type": "snapshot",
            "room": room,
            "members": [member.as_dict() for member in members],
            "timer": timer.as_event(time.time()),
        }

    async def _to_room(self, event: dict[str, Any]) -> None:
        await self.channel_layer.group_send(room_group(self.room_id), layer_message(event))

    async def _close(self, code: int) -> None:
        self._closing = True
        await self.close(code=code)


_last_sweep: dict[int, float] = {}
SWEEP_SPACING_SECONDS: Final = 1.0


def _sweep_due(room_id: int) -> bool:
    now = time.monotonic()
    if now - _last_sweep.get(room_id, -SWEEP_SPACING_SECONDS) < SWEEP_SPACING_SECONDS:
        return False
    _last_sweep[room_id] = now
    return True


async def _sweep_later(layer: BaseChannelLayer, room_id: int, delay: float) -> None:
    await asyncio.sleep(delay)
    try:
        for member in await _in_thread(room_live.presence_sweep)(room_id=room_id):
            _announcer.announce(layer, room_id, "leave", member)
    except Exception:
        logger.warning("room_sweep_failed", room_id=room_id, exc_info=True)


class PresenceAnnouncer:
    """Collects the joins and leaves of each room for PRESENCE_BATCH_SECONDS and sends them as
    one `join` and one `leave` event, each with a list of `users`.

    Why: when a server restarts, every client of a large room reconnects at once, and one event
    per join would cost members x members deliveries (a million for 1,000 members). Batched,
    a burst costs one delivery per member per batch. A join and a leave of the same member
    within one batch cancel out: the others' view is already right.
    """

    def __init__(self) -> None:
        self._pending: dict[int, dict[int, tuple[str, MemberStatus]]] = {}
        self._flushes: dict[int, asyncio.Task[None]] = {}

    def announce(
        self, layer: BaseChannelLayer, room_id: int, kind: str, member: MemberStatus
    ) -> None:
        flush = self._flushes.get(room_id)
        loop = asyncio.get_running_loop()
        if flush is None or flush.done() or flush.get_loop() is not loop:
            self._pending[room_id] = {}
            self._flushes[room_id] = loop.create_task(self._flush_later(layer, room_id))
        pending = self._pending[room_id]
        previous = pending.get(member.user_id)
        if previous is not None and previous[0] != kind:
            del pending[member.user_id]
        else:
            pending[member.user_id] = (kind, member)

    async def _flush_later(self, layer: BaseChannelLayer, room_id: int) -> None:
        try:
            await asyncio.sleep(PRESENCE_BATCH_SECONDS)
        finally:
            # The batch is this task's unless a newer one replaced it (another event loop).
            pending: dict[int, tuple[str, MemberStatus]] = {}
            if self._flushes.get(room_id) is asyncio.current_task():
                del self._flushes[room_id]
                pending = self._pending.pop(room_id, {})
        for kind in ("join", "leave"):
            users = [member.as_dict() for k, member in pending.values() if k == kind]
            if not users:
                continue
            try:
                event = {"type": kind, "users": users}
                await layer.group_send(room_group(room_id), layer_message(event))
            except Exception:
                logger.warning("room_presence_send_failed", room_id=room_id, exc_info=True)


PRESENCE_BATCH_SECONDS: Final = 0.15
_announcer = PresenceAnnouncer()
