"""TaggedCache: namespaced values with tag invalidation, single-flight recompute and graceful
degradation, on any Django cache backend.

Tags. Every tag has a version token stored in the cache itself. A value is stored in an envelope
that records the token of each of its tags as read *before* it was computed; a read fetches the
value and the current tokens in one `get_many` and treats any difference as a miss. Invalidating
a tag is one write of a new random token, O(number of tags), visible to every process that shares
the backend, and needs no key scan. A token that is missing (never written, evicted, expired) is
never equal to a recorded one, so losing version keys only costs misses, never stale answers.
Besides its own tags every value depends on its namespace's generation and a global one, which is
how a namespace, or everything, is cleared without flushing a Redis database that Celery and
Channels share.

Reading ahead. A request that knows early which keys it will read (the revocation record its
authentication checks, a view's tag versions and page) fetches them all in one `get_many`
(`read_ahead`), then serves the view's reads from that snapshot (`serving_read_ahead`): no
further round trip. The snapshot is only ever a value read a moment earlier, never newer than
the backend; this request's first write through a TaggedCache (a recompute lock, a stored value,
a new tag token) discards it, so everything read after a write comes from the backend again.

Degradation. A backend failure (Redis down, timeouts) is absorbed: a read becomes a miss, a write
a no-op; it is counted and logged, never raised, so callers fall through to the database. Errors
raised by the caller's compute function are never cached. They reach the caller, except when it
was refreshing a value that is still servable (stale within grace, or picked for early refresh):
that caller logs the error and gets the old value.
"""

from __future__ import annotations

import functools
import secrets
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, NamedTuple, TypeVar, cast

import structlog
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache

from . import stats
from .guard import BackendGuard
from .keys import (
    GENERATION_ALL,
    KeyPart,
    cache_key,
    check_namespace,
    key_in_namespace,
    lock_key,
    namespace_generation_key,
    tag_version_key,
)
from .strategy import Freshness, SmartCacheStrategy

logger = structlog.get_logger(__name__)

T = TypeVar("T")

# Bumped when the envelope layout changes: an old envelope is then a miss, not a crash.
_FORMAT = 1

# The namespace that module-level operations (global invalidation, clear-all) are counted under.
GLOBAL_NAMESPACE = "all"


class _Envelope(NamedTuple):
    value: Any
    versions: dict[str, int]  # version key -> token the value was computed under
    fresh_until: float
    compute_seconds: float


class _Lookup(NamedTuple):
    entry: _Envelope | None  # None: absent, unreadable or invalidated
    # Current token of every version key the caller depends on (all None when `failed`).
    versions: dict[str, int | None]
    failed: bool  # the backend could not be read


class ReadAhead:
    """Values of `asked` keys read from `backend` in one round trip (absent keys are absent)."""

    def __init__(self, backend: BaseCache, asked: Iterable[str], found: dict[str, Any]) -> None:
        self.backend = backend
        self.asked = frozenset(asked)
        self.found = found

    def take(self, backend: BaseCache, keys: list[str]) -> dict[str, Any] | None:
        """What a `get_many(keys)` on `backend` would answer, if every key was read ahead."""
        if backend is not self.backend or not self.asked.issuperset(keys):
            return None
        return {key: self.found[key] for key in keys if key in self.found}


_read_ahead: ContextVar[ReadAhead | None] = ContextVar("studymate_cache_read_ahead", default=None)


class Served(NamedTuple):
    """A fresh value a read served: its namespace and its freshness, as its envelope says."""

    namespace: str
    fresh_until: float
    compute_seconds: float


class ServedReads:
    """What the TaggedCache reads inside `recording_served` answered: `values`, when every
    read was a fresh hit; `complete` False once one was anything else (a miss, a stale value,
    a recompute), since the answer then depends on more than stored values."""

    def __init__(self) -> None:
        self.values: list[Served] = []
        self.complete = True


_served: ContextVar[ServedReads | None] = ContextVar("studymate_cache_served", default=None)


@contextmanager
def recording_served() -> Iterator[ServedReads]:
    """Records the TaggedCache reads inside the block (see `ServedReads`)."""
    reads = ServedReads()
    token = _served.set(reads)
    try:
        yield reads
    finally:
        _served.reset(token)


def _note_served(namespace: str, entry: _Envelope | None) -> None:
    reads = _served.get()
    if reads is None:
        return
    if entry is None:
        reads.complete = False
    else:
        reads.values.append(Served(namespace, entry.fresh_until, entry.compute_seconds))


def read_ahead(keys: Iterable[str], *, backend: BaseCache | None = None) -> ReadAhead | None:
    """One `get_many` of `keys`; None when the backend fails (counted and logged)."""
    store = backend if backend is not None else caches[settings.CACHE_ALIAS]
    wanted = list(dict.fromkeys(keys))
    found = BackendGuard("read_ahead").call("get", lambda: store.get_many(wanted), None)
    return None if found is None else ReadAhead(store, wanted, found)


@contextmanager
def serving_read_ahead(values: ReadAhead | None) -> Iterator[None]:
    """TaggedCache reads inside the block are served from `values` while it holds their keys."""
    token = _read_ahead.set(values)
    try:
        yield
    finally:
        _read_ahead.reset(token)


class TaggedCache:
    """The cache of one namespace. Keys must come from `key()` / `cache_key(namespace, ...)`."""

    def __init__(
        self,
        namespace: str,
        *,
        strategy: SmartCacheStrategy | None = None,
        backend: BaseCache | None = None,
    ) -> None:
        check_namespace(namespace)
        self.namespace = namespace
        self.strategy = strategy or SmartCacheStrategy.for_namespace(namespace)
        self._backend = backend
        self._guard = BackendGuard(namespace)

    @property
    def backend(self) -> BaseCache:
        # Resolved per use: Django hands each thread its own connection to the configured alias.
        return self._backend if self._backend is not None else caches[settings.CACHE_ALIAS]

    def key(self, *parts: KeyPart, **dependencies: KeyPart) -> str:
        return cache_key(self.namespace, *parts, **dependencies)

    def read_keys(self, *keys: str, tags: Iterable[str] = ()) -> list[str]:
        """Every backend key a read of `keys` stored under `tags` fetches (for `read_ahead`):
        the values and the version tokens they are checked against."""
        for key in keys:
            self._check(key)
        return [*keys, *self._version_keys(tags)]

    def get(self, key: str, default: Any = None, *, tags: Iterable[str] = ()) -> Any:
        """The value if it is fresh and none of its tags changed, else `default`.

        Passing the tags the value was stored with saves a round trip; it is not needed for
        correctness (the envelope knows its tags).
        """
        lookup = self._read(key, self._version_keys(tags))
        if lookup.entry is None or self.strategy.clock() >= lookup.entry.fresh_until:
            stats.record_miss(self.namespace)
            _note_served(self.namespace, None)
            return default
        stats.record_hit(self.namespace)
        _note_served(self.namespace, lookup.entry)
        return lookup.entry.value

    def set(
        self, key: str, value: Any, *, tags: Iterable[str] = (), ttl: float | None = None
    ) -> None:
        """Store a value computed by the caller.

        The tag versions are read now, so an invalidation between the caller's computation and
        this call goes unnoticed; `get_or_set` reads them before computing and has no such gap.
        """
        lookup = self._read(key, self._version_keys(tags))
        versions = None if lookup.failed else self._ensure_versions(lookup.versions)
        if versions is not None:
            self._write(key, value, versions, ttl, compute_seconds=0.0)

    def store(self, key: str, value: Any, timeout: float) -> None:
        """`value` as it is under `key`: no envelope, no tags, for a value that names what it
        depends on itself (a kept response names its ETag). A backend failure is absorbed."""
        self._check(key)
        self._writing()
        if self._guard.attempt("set", lambda: self.backend.set(key, value, timeout)):
            stats.record_set(self.namespace)

    def delete(self, key: str) -> None:
        self._check(key)
        self._writing()
        if self._guard.attempt("delete", lambda: self.backend.delete(key)):
            stats.record_invalidations(self.namespace, 1)

    def get_or_set(
        self,
        key: str,
        compute: Callable[[], T],
        *,
        tags: Iterable[str] = (),
        ttl: float | None = None,
    ) -> T:
        """The cached value, or `compute()`'s result stored under `tags` for `ttl` seconds.

        Single flight: when the value is missing, one caller (holding a short lock taken with
        `add`) computes it while the others wait up to `strategy.lock_wait` for its result, then
        compute on their own. When it is stale within the grace window, or picked for early
        refresh, the lock holder recomputes and everyone else is served the old value at once.
        """
        lookup = self._read(key, self._version_keys(tags))
        entry = lookup.entry
        freshness = None if entry is None else self._judge(entry)
        if freshness is Freshness.FRESH:
            stats.record_hit(self.namespace)
            _note_served(self.namespace, entry)
            return cast(T, cast(_Envelope, entry).value)
        _note_served(self.namespace, None)
        if freshness is not None and freshness is not Freshness.EXPIRED:
            return self._serve_while_refreshing(key, compute, lookup, freshness, ttl)
        if lookup.failed:
            # The backend is down: compute, and leave the writing to a later call.
            stats.record_miss(self.namespace)
            return self._compute(compute)[0]
        return self._compute_single_flight(key, compute, lookup, ttl)

    def invalidate_tags(self, *tags: str) -> bool:
        """Every value stored under any of `tags`, in any namespace, becomes a miss everywhere.

        False (logged, counted) when the backend could not be written: values stay valid until
        their TTL. Callers in the request path may ignore it; operators' tools report it.
        """
        tokens = {tag_version_key(tag): _new_token() for tag in tags}
        return self._bump(tokens, settings.CACHE_TAG_VERSION_TTL)

    def clear(self) -> bool:
        """Every value of this namespace becomes a miss (they expire from the backend by TTL)."""
        return self._bump({namespace_generation_key(self.namespace): _new_token()}, None)

    def versions(self, tags: Iterable[str]) -> dict[str, int] | None:
        """The current token of everything a value of this namespace stored under `tags` depends
        on (the global and namespace generations, and each tag), by version key: they change
        whenever such a value would be invalidated. One `get_many` when every token exists. A
        missing one (never written, evicted) is created first, as a write would: a fresh random
        token, so a set of versions seen once can never be seen again after a change, even if
        the token that recorded the change is lost. None when the backend fails."""
        wanted = self._version_keys(tags)
        found = self._get_many(wanted)
        if found is None:
            return None
        return self._ensure_versions({name: found.get(name) for name in wanted})

    # Reading and writing envelopes.

    def _version_keys(self, tags: Iterable[str]) -> list[str]:
        return list(_version_keys(self.namespace, tuple(tags)))

    def _read(self, key: str, wanted: list[str]) -> _Lookup:
        self._check(key)
        found = self._get_many([key, *wanted])
        if found is None:
            return _Lookup(None, dict.fromkeys(wanted), failed=True)
        versions: dict[str, int | None] = {name: found.get(name) for name in wanted}
        entry = _unpack(found.get(key))
        if entry is None:
            return _Lookup(None, versions, failed=False)
        current = self._current_versions(entry, versions)
        if current is None:
            return _Lookup(None, dict.fromkeys(wanted), failed=True)
        valid = set(wanted) <= entry.versions.keys() and all(
            current.get(name) == token for name, token in entry.versions.items()
        )
        return _Lookup(entry if valid else None, versions, failed=False)

    def _current_versions(
        self, entry: _Envelope, known: dict[str, int | None]
    ) -> dict[str, int | None] | None:
        """Tokens of every tag the entry was stored with; a second read only for tags the caller
        did not name. None when the backend fails."""
        unknown = [name for name in entry.versions if name not in known]
        if not unknown:
            return known
        found = self._get_many(unknown)
        return None if found is None else {**known, **found}

    def _get_many(self, keys: list[str]) -> dict[str, Any] | None:
        """The backend's `get_many`, or the same answer from this request's read-ahead."""
        backend = self.backend
        ahead = _read_ahead.get()
        found = None if ahead is None else ahead.take(backend, keys)
        if found is not None:
            return found
        return self._guard.call("get", lambda: backend.get_many(keys), None)

    def _writing(self) -> None:
        """A write makes this request's read-ahead older than what it just wrote."""
        if _read_ahead.get() is not None:
            _read_ahead.set(None)

    def _ensure_versions(self, versions: dict[str, int | None]) -> dict[str, int] | None:
        """Create missing version tokens (first use of a tag, or evicted); `add` makes concurrent
        creators agree on one token. None when the backend fails."""
        missing = [name for name, token in versions.items() if token is None]
        if not missing:
            return cast(dict[str, int], versions)
        if not all(self._create_version(name) for name in missing):
            return None
        found = self._guard.call("get", lambda: self.backend.get_many(missing), None)
        if found is None or len(found) != len(missing):
            return None
        return cast(dict[str, int], {**versions, **found})

    def _create_version(self, name: str) -> bool:
        # Generations live as long as the backend keeps them: expiring one would make a whole
        # namespace miss at once.
        timeout = None if name.startswith("~gen:") else settings.CACHE_TAG_VERSION_TTL
        self._writing()
        return self._guard.attempt("add", lambda: self.backend.add(name, _new_token(), timeout))

    def _write(
        self,
        key: str,
        value: Any,
        versions: dict[str, int],
        ttl: float | None,
        *,
        compute_seconds: float,
    ) -> None:
        lifetime = self.strategy.ttl if ttl is None else ttl
        envelope = (_FORMAT, value, versions, self.strategy.clock() + lifetime, compute_seconds)
        timeout = self.strategy.storage_timeout(lifetime)
        self._writing()
        if self._guard.attempt("set", lambda: self.backend.set(key, envelope, timeout)):
            stats.record_set(self.namespace)

    def _bump(self, tokens: dict[str, int], timeout: float | None) -> bool:
        if not tokens:
            return True
        self._writing()
        if self._guard.attempt("invalidate", lambda: self.backend.set_many(tokens, timeout)):
            stats.record_invalidations(self.namespace, len(tokens))
            return True
        # Values stored under the old tokens stay valid until their TTL: say so loudly.
        logger.error("cache_invalidation_lost", namespace=self.namespace, keys=sorted(tokens))
        return False

    # Recomputing.

    def _judge(self, entry: _Envelope) -> Freshness:
        return self.strategy.judge(
            fresh_until=entry.fresh_until, compute_seconds=entry.compute_seconds
        )

    def _serve_while_refreshing(
        self,
        key: str,
        compute: Callable[[], T],
        lookup: _Lookup,
        freshness: Freshness,
        ttl: float | None,
    ) -> T:
        entry = cast(_Envelope, lookup.entry)
        stats.record_hit(self.namespace, stale=freshness is Freshness.STALE)
        if not self._acquire(key):
            return cast(T, entry.value)
        try:
            latest = self._read(key, list(lookup.versions))
            if latest.entry is not None and latest.entry.fresh_until > entry.fresh_until:
                return cast(T, latest.entry.value)  # refreshed between our read and our lock
            return self._compute_and_store(key, compute, latest, ttl)
        except Exception:
            # A refresh that fails must not fail a request that has a servable value.
            logger.warning("cache_refresh_failed", namespace=self.namespace, exc_info=True)
            return cast(T, entry.value)
        finally:
            self._release(key)

    def _compute_single_flight(
        self, key: str, compute: Callable[[], T], lookup: _Lookup, ttl: float | None
    ) -> T:
        wanted = list(lookup.versions)
        deadline = time.monotonic() + self.strategy.lock_wait
        pause = 0.005
        while True:
            if self._acquire(key):
                try:
                    return self._compute_holding_lock(key, compute, wanted, ttl)
                finally:
                    self._release(key)
            if time.monotonic() >= deadline:
                break
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
            lookup = self._read(key, wanted)
            if lookup.failed:
                break
            if self._servable(lookup.entry):
                stats.record_hit(self.namespace)
                return cast(T, cast(_Envelope, lookup.entry).value)
        # The lock holder is slow or gone: answer this caller rather than keep it waiting.
        stats.record_miss(self.namespace)
        return self._compute_and_store(key, compute, lookup, ttl)

    def _compute_holding_lock(
        self, key: str, compute: Callable[[], T], wanted: list[str], ttl: float | None
    ) -> T:
        # Another caller may have stored the value between our read and our lock.
        lookup = self._read(key, wanted)
        if self._servable(lookup.entry):
            stats.record_hit(self.namespace)
            return cast(T, cast(_Envelope, lookup.entry).value)
        stats.record_miss(self.namespace)
        return self._compute_and_store(key, compute, lookup, ttl)

    def _servable(self, entry: _Envelope | None) -> bool:
        return entry is not None and self._judge(entry) is not Freshness.EXPIRED

    def _compute_and_store(
        self, key: str, compute: Callable[[], T], lookup: _Lookup, ttl: float | None
    ) -> T:
        # Versions are fixed before computing: an invalidation during the computation then
        # makes the stored value a miss instead of hiding it.
        versions = None if lookup.failed else self._ensure_versions(lookup.versions)
        value, seconds = self._compute(compute)
        if versions is not None:
            self._write(key, value, versions, ttl, compute_seconds=seconds)
        return value

    def _compute(self, compute: Callable[[], T]) -> tuple[T, float]:
        started = time.perf_counter()
        value = compute()
        seconds = time.perf_counter() - started
        stats.record_recompute(self.namespace, seconds)
        return value, seconds

    def _acquire(self, key: str) -> bool:
        """The recompute lock; granted when the backend fails, since nobody can coordinate."""
        name = lock_key(key)
        timeout = self.strategy.lock_timeout
        self._writing()
        return self._guard.call("lock", lambda: self.backend.add(name, 1, timeout), True)

    def _release(self, key: str) -> None:
        # Not owner-checked: if our lock expired and another caller took it, deleting it costs at
        # most one extra recompute, and a check-then-delete would not be atomic anyway.
        self._guard.attempt("unlock", lambda: self.backend.delete(lock_key(key)))

    def _check(self, key: str) -> None:
        if not key_in_namespace(key, self.namespace):
            raise ValueError(f"key {key!r} is not in cache namespace {self.namespace!r}")


def invalidate_tags(*tags: str, backend: BaseCache | None = None) -> bool:
    """Invalidate tags from code that has no namespace of its own (services, the command)."""
    return TaggedCache(GLOBAL_NAMESPACE, backend=backend).invalidate_tags(*tags)


def clear_all(backend: BaseCache | None = None) -> bool:
    """Every TaggedCache value of every namespace becomes a miss; other keys are untouched."""
    return TaggedCache(GLOBAL_NAMESPACE, backend=backend)._bump(
        {GENERATION_ALL: _new_token()}, None
    )


# Asked on every read, for the few tag sets the code names (computed tags included).
@functools.lru_cache(maxsize=4096)
def _version_keys(namespace: str, tags: tuple[str, ...]) -> tuple[str, ...]:
    own = sorted({tag_version_key(tag) for tag in tags})
    return (GENERATION_ALL, namespace_generation_key(namespace), *own)


def _new_token() -> int:
    return secrets.randbits(62)


def _unpack(raw: object) -> _Envelope | None:
    """Anything but a current-format envelope (an old layout, a foreign value) is a miss."""
    if not (isinstance(raw, tuple) and len(raw) == 5 and raw[0] == _FORMAT):
        return None
    return _Envelope(*raw[1:])
