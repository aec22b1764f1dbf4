"""Live state of study rooms shared by every server process: presence and the pomodoro timer.

Kept in Redis when REDIS_URL is set (the same server as the cache, under the cache's key
prefix), in the local cache when embedded (one process, so that is shared enough). Never in a
consumer's memory: a second tab or a reconnect may land on another process.

Presence, per room:
- one entry per open socket, `<user_id>:<channel_name>`, scored with the time it expires. A live
  socket pushes its expiry forward every heartbeat (`presence_touch`); a closed one is set to
  expire after the grace period (`presence_drop`); a socket whose process died simply stops
  being touched and expires after the TTL.
- the set of members announced as present, with their typing/focus status. `presence_connect`
  reports whether the member was not announced yet (then, and only then, a `join` is sent);
  `presence_sweep` removes expired entries and reports the members left with none (then, and
  only then, a `leave` is sent). Both are atomic (one Lua script each in Redis), so two processes
  never announce the same join or leave twice, and a reconnect within the grace period announces
  nothing at all.
"""

from __future__ import annotations

import json
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache as memoize
from typing import Any, cast

from django.conf import settings
from django.core.cache import cache

from .room_timer import PomodoroTimer

# Idle rooms' keys vanish after a day; any activity pushes this forward.
_KEY_TTL_SECONDS = 86_400


@dataclass(frozen=True)
class MemberStatus:
    user_id: int
    username: str
    typing: bool = False
    focus: str = "focused"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.user_id,
            "username": self.username,
            "typing": self.typing,
            "focus": self.focus,
        }

    @classmethod
    def from_json(cls, raw: str | bytes) -> MemberStatus:
        data = json.loads(raw)
        return cls(data["id"], data["username"], bool(data["typing"]), str(data["focus"]))


class RoomLiveStore(ABC):
    @abstractmethod
    def connect(self, room_id: int, member: MemberStatus, channel: str, expires: float) -> bool:
        """Registers a socket; True when its member was not announced as present."""

    @abstractmethod
    def touch(self, room_id: int, user_id: int, channel: str, expires: float) -> bool:
        """Pushes a live socket's expiry; False when the entry is gone (swept meanwhile)."""

    @abstractmethod
    def drop(self, room_id: int, user_id: int, channel: str, expires: float) -> None:
        """A closed socket: its entry now expires at `expires` (the end of the grace period)."""

    @abstractmethod
    def sweep(self, room_id: int, now: float) -> list[MemberStatus]:
        """Removes expired entries; returns the members left with no entry (to announce)."""

    @abstractmethod
    def members(self, room_id: int) -> list[MemberStatus]: ...

    @abstractmethod
    def set_status(
        self, room_id: int, user_id: int, changes: dict[str, Any]
    ) -> MemberStatus | None:
        """Updates typing/focus of a present member; None when they are not present."""

    @abstractmethod
    def update_timer(
        self, room_id: int, change: Callable[[PomodoroTimer], PomodoroTimer]
    ) -> PomodoroTimer:
        """Applies `change` to the stored timer atomically; returns the new state."""

    @abstractmethod
    def timer(self, room_id: int) -> PomodoroTimer: ...


def _keys(room_id: int) -> tuple[str, str, str]:
    base = f"realtime:room:{room_id}"
    return (
        cache.make_key(f"{base}:sockets"),
        cache.make_key(f"{base}:present"),
        cache.make_key(f"{base}:timer"),
    )


def _entry(user_id: int, channel: str) -> str:
    return f"{user_id}:{channel}"


# --- Redis -------------------------------------------------------------------------------------

_CONNECT = """
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
local added = redis.call('HSETNX', KEYS[2], ARGV[3], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('EXPIRE', KEYS[2], ARGV[5])
return added
"""
_TOUCH = """
if not redis.call('ZSCORE', KEYS[1], ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], 'XX', ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return 1
"""
_SWEEP = """
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if #expired == 0 then return {} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local gone = {}
for _, entry in ipairs(expired) do gone[string.match(entry, '^(%d+):')] = true end
for _, entry in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  gone[string.match(entry, '^(%d+):')] = nil
end
local left = {}
for user, _ in pairs(gone) do
  local status = redis.call('HGET', KEYS[2], user)
  if status then
    redis.call('HDEL', KEYS[2], user)
    table.insert(left, status)
  end
end
return left
"""
_SET_STATUS = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return false end
local status = cjson.decode(raw)
local changes = cjson.decode(ARGV[2])
for name, value in pairs(changes) do status[name] = value end
local encoded = cjson.encode(status)
redis.call('HSET', KEYS[1], ARGV[1], encoded)
return encoded
"""


class RedisRoomLiveStore(RoomLiveStore):
    def __init__(self) -> None:
        from django_redis import get_redis_connection  # type: ignore[import-untyped]

        self._redis: Any = get_redis_connection("default")
        self._connect = self._redis.register_script(_CONNECT)
        self._touch = self._redis.register_script(_TOUCH)
        self._sweep = self._redis.register_script(_SWEEP)
        self._set_status = self._redis.register_script(_SET_STATUS)

    def connect(self, room_id: int, member: MemberStatus, channel: str, expires: float) -> bool:
        sockets, present, _timer = _keys(room_id)
        status = json.dumps(member.as_dict())
        args = [expires, _entry(member.user_id, channel), member.user_id, status, _KEY_TTL_SECONDS]
        return bool(self._connect(keys=[sockets, present], args=args))

    def touch(self, room_id: int, user_id: int, channel: str, expires: float) -> bool:
        sockets, present, _timer = _keys(room_id)
        args = [expires, _entry(user_id, channel), _KEY_TTL_SECONDS]
        return bool(self._touch(keys=[sockets, present], args=args))

    def drop(self, room_id: int, user_id: int, channel: str, expires: float) -> None:
        sockets, _present, _timer = _keys(room_id)
        self._redis.zadd(sockets, {_entry(user_id, channel): expires}, xx=True)

    def sweep(self, room_id: int, now: float) -> list[MemberStatus]:
        sockets, present, _timer = _keys(room_id)
        left = self._sweep(keys=[sockets, present], args=[now])
        return [MemberStatus.from_json(raw) for raw in left]

    def members(self, room_id: int) -> list[MemberStatus]:
        _sockets, present, _timer = _keys(room_id)
        return _sorted(MemberStatus.from_json(raw) for raw in self._redis.hvals(present))

    def set_status(
        self, room_id: int, user_id: int, changes: dict[str, Any]
    ) -> MemberStatus | None:
        _sockets, present, _timer = _keys(room_id)
        raw = self._set_status(keys=[present], args=[user_id, json.dumps(changes)])
        return MemberStatus.from_json(raw) if raw else None

    def update_timer(
        self, room_id: int, change: Callable[[PomodoroTimer], PomodoroTimer]
    ) -> PomodoroTimer:
        """Optimistic: WATCH the key, compute, write in MULTI; retry if someone wrote first."""
        key = _keys(room_id)[2]
        with self._redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    timer = change(_timer_from(pipe.get(key)))
                    pipe.multi()
                    pipe.set(key, json.dumps(timer.to_json()), ex=_KEY_TTL_SECONDS)
                    pipe.execute()
                    return timer
                except _watch_error():
                    continue

    def timer(self, room_id: int) -> PomodoroTimer:
        return _timer_from(self._redis.get(_keys(room_id)[2]))


def _watch_error() -> type[Exception]:
    from redis.exceptions import WatchError

    return cast(type[Exception], WatchError)


# --- the local cache (embedded) ------------------------------------------------------------------


class CacheRoomLiveStore(RoomLiveStore):
    """The same contract over the Django cache API, for the embedded single-process server:
    the lock makes each operation atomic the way the Lua scripts do in Redis."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def _load(self, room_id: int) -> tuple[dict[str, float], dict[str, dict[str, Any]]]:
        sockets, present, _timer = _keys(room_id)
        return cache.get(sockets) or {}, cache.get(present) or {}

    def _save(
        self, room_id: int, entries: dict[str, float], members: dict[str, dict[str, Any]]
    ) -> None:
        sockets, present, _timer = _keys(room_id)
        cache.set_many({sockets: entries, present: members}, timeout=_KEY_TTL_SECONDS)

    def connect(self, room_id: int, member: MemberStatus, channel: str, expires: float) -> bool:
        with self._lock:
            entries, members = self._load(room_id)
            entries[_entry(member.user_id, channel)] = expires
            added = str(member.user_id) not in members
            members.setdefault(str(member.user_id), member.as_dict())
            self._save(room_id, entries, members)
            return added

    def touch(self, room_id: int, user_id: int, channel: str, expires: float) -> bool:
        with self._lock:
            entries, members = self._load(room_id)
            if _entry(user_id, channel) not in entries:
                return False
            entries[_entry(user_id, channel)] = expires
            self._save(room_id, entries, members)
            return True

    def drop(self, room_id: int, user_id: int, channel: str, expires: float) -> None:
        with self._lock:
            entries, members = self._load(room_id)
            if _entry(user_id, channel) in entries:
                entries[_entry(user_id, channel)] = expires
                self._save(room_id, entries, members)

    def sweep(self, room_id: int, now: float) -> list[MemberStatus]:
        with self._lock:
            entries, members = self._load(room_id)
            live = {entry: expires for entry, expires in entries.items() if expires > now}
            if len(live) == len(entries):
                return []
            still_here = {entry.split(":", 1)[0] for entry in live}
            gone = {entry.split(":", 1)[0] for entry in entries} - still_here
            left = [members.pop(user) for user in sorted(gone) if user in members]
            self._save(room_id, live, members)
            return [MemberStatus.from_json(json.dumps(status)) for status in left]

    def members(self, room_id: int) -> list[MemberStatus]:
        _entries, members = self._load(room_id)
        return _sorted(MemberStatus.from_json(json.dumps(status)) for status in members.values())

    def set_status(
        self, room_id: int, user_id: int, changes: dict[str, Any]
    ) -> MemberStatus | None:
        with self._lock:
            entries, members = self._load(room_id)
            status = members.get(str(user_id))
            if status is None:
                return None
            status.update(changes)
            self._save(room_id, entries, members)
            return MemberStatus.from_json(json.dumps(status))

    def update_timer(
        self, room_id: int, change: Callable[[PomodoroTimer], PomodoroTimer]
    ) -> PomodoroTimer:
        key = _keys(room_id)[2]
        with self._lock:
            timer = change(_timer_from(cache.get(key)))
            cache.set(key, json.dumps(timer.to_json()), timeout=_KEY_TTL_SECONDS)
            return timer

    def timer(self, room_id: int) -> PomodoroTimer:
        return _timer_from(cache.get(_keys(room_id)[2]))


def _timer_from(raw: str | bytes | None) -> PomodoroTimer:
    return PomodoroTimer.from_json(json.loads(raw)) if raw else PomodoroTimer()


def _sorted(members: Any) -> list[MemberStatus]:
    return sorted(members, key=lambda member: (member.username, member.user_id))


@memoize
def room_live_store() -> RoomLiveStore:
    """The process-wide store for the configured backend."""
    return RedisRoomLiveStore() if settings.REDIS_URL else CacheRoomLiveStore()


# --- presence and timer operations the consumer calls --------------------------------------------


def presence_connect(*, room_id: int, member: MemberStatus, channel: str) -> bool:
    expires = time.time() + settings.REALTIME_PRESENCE_TTL_SECONDS
    return room_live_store().connect(room_id, member, channel, expires)


def presence_touch(*, room_id: int, user_id: int, channel: str) -> bool:
    expires = time.time() + settings.REALTIME_PRESENCE_TTL_SECONDS
    return room_live_store().touch(room_id, user_id, channel, expires)


def presence_drop(*, room_id: int, user_id: int, channel: str) -> None:
    expires = time.time() + settings.REALTIME_PRESENCE_GRACE_SECONDS
    room_live_store().drop(room_id, user_id, channel, expires)


def presence_sweep(*, room_id: int) -> list[MemberStatus]:
    return room_live_store().sweep(room_id, time.time())


def presence_members(*, room_id: int) -> list[MemberStatus]:
    return room_live_store().members(room_id)


def presence_set_status(
    *, room_id: int, user_id: int, typing: bool | None = None, focus: str | None = None
) -> MemberStatus | None:
    changes: dict[str, Any] = {}
    if typing is not None:
        changes["typing"] = typing
    if focus is not None:
        changes["focus"] = focus
    return room_live_store().set_status(room_id, user_id, changes)


def timer_apply(*, room_id: int, change: Callable[[PomodoroTimer], PomodoroTimer]) -> PomodoroTimer:
    return room_live_store().update_timer(room_id, change)


def timer_get(*, room_id: int) -> PomodoroTimer:
    return room_live_store().timer(room_id)
