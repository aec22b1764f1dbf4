"""Throttles: DRF's scopes, rates and idents, counted with one cache command per request.

DRF's own throttles keep a list of timestamps per client and cost two round trips (a get, then
a set of the whole list) plus pickling up to `rate` floats on every request. These count in a
sliding window instead: a counter per fixed window, and the previous window's counter weighted
by how much of it still overlaps the last `duration` seconds. With Redis the check and the
increment are one Lua script (one command, atomic); on other backends (the embedded local
memory) a `get_many` and an `incr`. A refused request is not counted, as in DRF.

The cached read path (`studymate_api.core.conditional.ReadAheadMixin`) counts a request's
throttles in the same command that reads its authentication records and what it serves
(`count_and_read`): one round trip per cached page. The throttles then take their counts
(`window`, `counted`) instead of asking the cache again.

Rates are read when used, so settings overrides (and tests) take effect. A cache outage fails
open: an outage of Redis must not turn every request into a 500.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, NamedTuple

import structlog
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.base import BaseCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

from .requests import client_ip

if TYPE_CHECKING:  # rest_framework.views imports this module through the settings
    from rest_framework.views import APIView

logger = structlog.get_logger(__name__)

# One script for a throttle check alone and for the cached read path, where the request's
# authentication records and the page it will read ride in the same command (`count_and_read`).
# KEYS: the gates (records that, when any exists, mean nothing may be counted: the request will
# be refused or judged elsewhere first), two counters per throttle (the current and the previous
# window), then the keys only read. ARGV: the number of gates and of throttles, then per
# throttle its limit, the fraction of the current window already elapsed and the counters'
# lifetime. Returns {counted, {allowed, current, previous} per throttle, values of all KEYS};
# the counts are those before this request, and a refused request is not counted.
_SLIDING_WINDOW: Final = """
local gates = tonumber(ARGV[1])
local throttles = tonumber(ARGV[2])
local values = {}
if #KEYS > 0 then
  values = redis.call('MGET', unpack(KEYS))
end
for i = 1, gates do
  if values[i] then
    return {0, {}, values}
  end
end
local verdicts = {}
for t = 1, throttles do
  local at = gates + 2 * t - 1
  local current = tonumber(values[at] or '0')
  local previous = tonumber(values[at + 1] or '0')
  local limit = tonumber(ARGV[3 * t])
  local elapsed = tonumber(ARGV[3 * t + 1])
  if previous * (1 - elapsed) + current >= limit then
    verdicts[t] = {0, current, previous}
  else
    redis.call('INCR', KEYS[at])
    redis.call('EXPIRE', KEYS[at], ARGV[3 * t + 2])
    verdicts[t] = {1, current, previous}
  end
end
return {1, verdicts, values}
"""

# Redis names a loaded script by its SHA-1 (EVALSHA): an identifier, not a security measure.
_SLIDING_WINDOW_SHA: Final = hashlib.sha1(
    _SLIDING_WINDOW.encode(), usedforsecurity=False
).hexdigest()

# Each thread keeps one connection of the pool for the script, instead of a checkout per
# request (redis-py's checkout, health poll, retry wrapper and release cost several times the
# command itself). Dropped when a command on it fails, and after a fork.
_held = threading.local()


def _run_script(redis_client: Any, keys: list[str], arguments: list[Any]) -> Any:
    pool = redis_client.connection_pool
    connection = getattr(_held, "connection", None)
    if connection is None or _held.pool is not pool or _held.pid != os.getpid():
        connection = pool.make_connection()
        _held.connection, _held.pool, _held.pid = connection, pool, os.getpid()
    try:
        try:
            connection.send_command("EVALSHA", _SLIDING_WINDOW_SHA, len(keys), *keys, *arguments)
        except (RedisConnectionError, RedisTimeoutError):
            # A connection the server closed while it was idle: once more, reconnected (the
            # command was not sent, so it is not counted twice).
            connection.send_command("EVALSHA", _SLIDING_WINDOW_SHA, len(keys), *keys, *arguments)
        try:
            return connection.read_response()
        except NoScriptError:  # a restarted or flushed server: send the script itself
            connection.send_command("EVAL", _SLIDING_WINDOW, len(keys), *keys, *arguments)
            return connection.read_response()
    except Exception:
        connection.disconnect()
        _held.connection = None
        raise


@dataclass(frozen=True)
class Window:
    """What one throttle counts for one request: its two window counters (cache keys, before
    the backend's prefix), its limit and how far into the current window the request falls;
    `counter` makes the window of the same client at another time."""

    keys: tuple[str, str]
    limit: int
    elapsed: float
    lifetime: int
    counter: Counter | None = None


@dataclass(frozen=True)
class Counter:
    """One throttle's count of one client: its key (before the window's number), its limit
    and the length of its windows in seconds."""

    key: str
    limit: int
    duration: int

    def window(self, now: float) -> Window:
        number = int(now // self.duration)
        keys = (f"{self.key}:{number}", f"{self.key}:{number - 1}")
        elapsed = now / self.duration - number
        return Window(keys, self.limit, elapsed, 2 * self.duration, self)


class Count(NamedTuple):
    allowed: bool
    current: int  # this window's count before the request
    previous: int  # the previous window's count


@dataclass(frozen=True)
class CountedRead:
    """The answer of `count_and_read`."""

    counted: bool  # False: a gate was present, and no throttle was counted
    counts: list[Count]  # one per window, in order (empty when not counted)
    found: dict[str, Any]  # the gates and reads present, by key, decoded as `get_many` does


def count_and_read(
    windows: Sequence[Window], *, gates: Sequence[str] = (), reads: Sequence[str] = ()
) -> CountedRead:
    """Counts `windows` unless one of `gates` is present, and reads `gates` and `reads`: one
    command on Redis (atomic). Backend errors propagate (`BACKEND_ERRORS`)."""
    backend = caches[DEFAULT_CACHE_ALIAS]  # resolved once: `cache` is a per-access proxy
    redis_client = _redis_client(backend)
    if redis_client is None:
        return _count_and_read_elsewhere(backend, windows, gates, reads)
    counters = [key for window in windows for key in window.keys]
    names = [*gates, *counters, *reads]
    arguments: list[Any] = [len(gates), len(windows)]
    for window in windows:
        arguments += [window.limit, repr(window.elapsed), window.lifetime]
    make_key = backend.make_key
    counted, verdicts, values = _run_script(
        redis_client, [make_key(name) for name in names], arguments
    )
    decode = backend.client.decode  # type: ignore[attr-defined]
    counter_names = frozenset(counters)
    found = {
        name: decode(value)
        for name, value in zip(names, values, strict=True)
        if value is not None and name not in counter_names
    }
    counts = [Count(bool(a), int(c), int(p)) for a, c, p in verdicts]
    return CountedRead(bool(counted), counts, found)


def _count_and_read_elsewhere(
    backend: BaseCache, windows: Sequence[Window], gates: Sequence[str], reads: Sequence[str]
) -> CountedRead:
    """The same on other backends (the embedded local memory): several calls, not atomic."""
    found = backend.get_many([*gates, *reads])
    if any(gate in found for gate in gates):
        return CountedRead(False, [], found)
    counts = []
    for window in windows:
        values = backend.get_many(window.keys)
        current, previous = (int(values.get(key, 0)) for key in window.keys)
        allowed = previous * (1 - window.elapsed) + current < window.limit
        if allowed and not backend.add(window.keys[0], 1, window.lifetime):
            backend.incr(window.keys[0])
        counts.append(Count(allowed, current, previous))
    return CountedRead(True, counts, found)


class _SlidingWindowThrottle(SimpleRateThrottle):
    cache_format = "throttle:%(scope)s:%(ident)s"
    # Set by SimpleRateThrottle.__init__ from the rate (None without one; then never read).
    num_requests: int
    duration: int

    def get_rate(self) -> str | None:
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope or "")
        return str(rate) if rate else None

    def get_ident(self, request: Request) -> str:
        return client_ip(request._request) or "unknown"

    def window(self, request: Request, view: APIView) -> Window | None:
        """What this request counts against; None when the throttle does not apply to it (no
        rate, or no key: e.g. the anonymous rate for a signed-in user)."""
        if self.rate is None:
            return None
        key = self.get_cache_key(request, view)
        if key is None:
            return None
        self.now = self.timer()
        window = Counter(key, self.num_requests, self.duration).window(self.now)
        self.elapsed = window.elapsed
        return window

    def counted(self, count: Count) -> bool:
        """Takes the count of this throttle's `window` (made by `count_and_read`): whether the
        request is allowed; `wait()` then answers for a refusal."""
        self.current, self.previous = count.current, count.previous
        return count.allowed

    def allow_request(self, request: Request, view: APIView) -> bool:
        window = self.window(request, view)
        if window is None:
            return True
        try:
            (count,) = count_and_read([window]).counts
        except Exception as error:
            # Imported here: this module loads with DRF's settings, before the cache package.
            from studymate_api.cache.guard import BACKEND_ERRORS

            if not isinstance(error, BACKEND_ERRORS):
                raise
            logger.warning("throttle_cache_unavailable", scope=self.scope, error=str(error))
            return True
        return self.counted(count)

    def wait(self) -> float | None:
        count = Count(False, self.current, self.previous)
        return wait_after(count, self.num_requests, self.elapsed, self.duration)


def wait_after(count: Count, limit: int, elapsed: float, duration: float) -> float | None:
    """Seconds until the weighted count of a refused request's window falls below `limit`
    again (`elapsed`: how far into its window the request fell)."""
    if count.current >= limit:
        # Not before this window ends; then the previous window is this one, fully weighted,
        # and it keeps refusing until enough of it has slid out.
        leaves = max(0.0, 1 - limit / count.current)
        return float((1 - elapsed + leaves) * duration)
    # previous * (1 - elapsed) + current < limit once elapsed passes this point.
    needed = 1 - (limit - count.current) / count.previous
    return float(max(needed - elapsed, 0) * duration) + 1e-3


def _redis_client(backend: BaseCache) -> Any:
    """The raw redis-py client behind django-redis, or None on any other backend."""
    client = getattr(backend, "client", None)
    get_client = getattr(client, "get_client", None)
    return None if get_client is None else get_client(write=True)


class AnonThrottle(_SlidingWindowThrottle, AnonRateThrottle):
    scope = "anon"


class UserThrottle(_SlidingWindowThrottle, UserRateThrottle):
    scope = "user"


class PerIPThrottle(_SlidingWindowThrottle):
    """Counts every request of a scope per client address, signed in or not."""

    def get_cache_key(self, request: Request, view: APIView) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LoginThrottle(PerIPThrottle):
    scope = "login"


class RegisterThrottle(PerIPThrottle):
    scope = "register"
