"""Conditional GETs: `ETag`, and `If-None-Match` answered with `304 Not Modified`.

The ETag is not a hash of the body. It names what the body was read from: the current version
tokens of the cache tags its data is invalidated by (the same tags the views' cached reads
depend on, see `TaggedCache.versions`), plus everything else the body depends on — the absolute
URL (path, query, and host and scheme, which the pagination links contain), the user, the
language, the negotiated media type, the deployed release and an optional cheap `version` of
data that has no tags. Checking it costs one cache round trip and a hash, whether the answer
is 304 or the view then runs; a 304 runs no query of the view at all.

An ETag also lasts no longer than a cached value of its namespace (its TTL, counted in fixed
windows): a write that bypasses the services (the admin, a shell) is served stale by the cache
for at most that long, and an ETag must not confirm it for longer.

Why this is safe: a service that writes the data invalidates its tags after commit, which
gives each tag a new random token, so the next ETag differs. The tokens are read before the
view renders, so a write that lands in between makes the body newer than its ETag, never
older: the next request gets a new ETag and a 200. A token that is missing (evicted, never
written) is created as the cache creates it, with a fresh random value, so an ETag can never
come back after a change. When the cache backend fails, no ETag is given (plain 200s).

A fast read path. A view whose body needs nothing of the user but the id (a cached page keyed
by user) passes `read_ahead`: the cache keys it will read besides its tag versions. The access
token's authentication (`accounts.authentication`) then reads those keys, the tag versions and
the token's revocation records in ONE round trip and takes the user from the token's claims
instead of the database; the ETag and the view's cached reads are served from that snapshot
(`studymate_api.cache.tagged.read_ahead`). A cached page then costs no SQL query and one cache
round trip besides the throttle's.

The fastest path. A view that also mixes in `ReadAheadMixin` counts its throttles in that same
round trip (one cache command in all), and with `keep_responses` the 200 its view made is kept
beside the page with the ETag it was made under: while the ETag is current and the values the
body was made from are still fresh, the next such GET is answered with it (or with a 304)
without DRF's handler, its serializers or the page's links being run again. Each answer is
DRF's: the same negotiation (a 406 stays a 406), the same authentication, permissions and
throttles (counted once per request), the same headers through DRF's `finalize_response`.
Once a request shape (view, URL, credentials, client, language, negotiation headers) has had a
kept answer, the next request of that shape goes straight to the one cache command with what
was derived for it (`_known_reads`), without DRF's request, negotiation or key computations.
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, NamedTuple, TypeVar, cast

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.signals import setting_changed
from django.db.models import Model
from django.dispatch import receiver
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseNotModified,
)
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import parse_etags
from django.utils.translation import get_language
from rest_framework.exceptions import APIException
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request

from studymate_api.cache import TaggedCache, stats
from studymate_api.cache.guard import BackendGuard
from studymate_api.cache.strategy import Freshness
from studymate_api.cache.tagged import (
    ReadAhead,
    Served,
    ServedReads,
    recording_served,
    serving_read_ahead,
)

from .throttling import Counter, Window, count_and_read, wait_after

# Bumped when what goes into an ETag changes, so old ETags stop matching.
_FORMAT = b"1"
# Bumped when the layout of a kept response changes: an old one is then not served.
_KEPT_FORMAT = 1

# The namespace whose generation the ETags of views without a cache of their own follow
# (`manage.py cache_management` can clear it like any other).
default_cache = TaggedCache("http_etag")

TagSource = Iterable[str] | Callable[[Request], Iterable[str]]
View = TypeVar("View", bound=Callable[..., HttpResponseBase])

# The request headers the representation depends on besides the URL.
VARY = ("Authorization", "Accept-Language")

# Where authentication leaves what it read ahead for the view (on the Django request).
READ_AHEAD_ATTRIBUTE: Final = "studymate_read_ahead"
_ABSOLUTE_URI_ATTRIBUTE: Final = "studymate_absolute_uri"
_KEPT_KEY_ATTRIBUTE: Final = "studymate_kept_response_key"

# rest_framework.views reads the authentication classes, whose module imports this one.
if TYPE_CHECKING:
    from rest_framework.views import APIView

    _ViewBase = APIView
else:
    _ViewBase = object

_MISSING: Final = object()

# Content negotiations of ReadAheadMixin views: (renderer classes, Accept, format suffix, format
# override) -> (index of the renderer, media type). Emptied when full.
_NEGOTIATIONS_MAX: Final = 1024
_negotiations: dict[tuple[Any, ...], tuple[int, str]] = {}
_read_guard = BackendGuard("read_ahead")


@dataclass(frozen=True)
class ReadPlan:
    """The cache keys a GET will read: its ETag's versions, `keys(request, user)` and, when
    its responses are kept, the kept response."""

    cache: TaggedCache
    tags: TagSource
    keys: Callable[[Request, Any], Iterable[str]]
    version: Callable[[Request], object] | None = None
    keep_responses: bool = False

    def tag_names(self, request: Request) -> Iterable[str]:
        return self.tags(request) if callable(self.tags) else self.tags

    def cache_keys(self, request: Request, user: Any) -> list[str]:
        """Every key the view reads (and the kept response, when responses are kept)."""
        keys = [*self.keys(request, user)]
        if self.keep_responses:
            keys.append(kept_response_key(request, self.cache, user))
        return self.cache.read_keys(*keys, tags=self.tag_names(request))

    def answer_keys(self, request: Request, user: Any) -> list[str]:
        """What `kept_response` reads: the ETag's versions and the kept response. Not the
        values the view reads: on a kept response's hit (the usual case) they would be read
        for nothing, and a miss reads them when the view asks."""
        if not self.keep_responses:
            return self.cache_keys(request, user)
        kept = kept_response_key(request, self.cache, user)
        return self.cache.read_keys(kept, tags=self.tag_names(request))

    def kept_response(self, request: Request, ahead: ReadAhead) -> HttpResponseBase | None:
        """The answer to this GET from what was read ahead, when no view needs to run: a 304
        for a current `If-None-Match`, or the kept response while its ETag is current and the
        values it was made from are fresh. None otherwise (the view answers)."""
        with serving_read_ahead(ahead):
            etag = current_etag(request, self.cache, self.tag_names(request), self.version)
        if etag is None:
            return None
        kept = None
        if self.keep_responses:
            kept = ahead.found.get(kept_response_key(request, self.cache))
        return self.answer(request.META, etag, kept, private=_private(request))

    def answer(
        self, meta: dict[str, Any], etag: str, kept_value: object, *, private: bool
    ) -> HttpResponseBase | None:
        """A 304 for a current `If-None-Match`, else the kept 200 (as stored: `kept_value`)
        while it was made under `etag` from values still fresh; None otherwise."""
        wanted = parse_etags(meta.get("HTTP_IF_NONE_MATCH", ""))
        if _names(wanted, etag):
            return _marked(HttpResponseNotModified(), etag, private=private)
        if not self.keep_responses:
            return None
        kept = _KeptResponse.of(kept_value)
        if kept is None or kept.etag != etag or not kept.fresh(self.cache):
            return None
        for served in kept.served:
            stats.record_hit(served.namespace)  # as the view's reads would have
        if wanted == ["*"]:
            return _marked(HttpResponseNotModified(), etag, private=private)
        return _marked(kept.response(), etag, private=private)


def kept_response_key(request: Request, cache: TaggedCache, user: Any = _MISSING) -> str:
    """Where a view that keeps its responses keeps the 200 of this GET: by everything its ETag
    names except the versions (they are checked against the ETag kept with it)."""
    user_id = getattr(request.user if user is _MISSING else user, "pk", None)
    named = (
        cache.namespace,
        absolute_uri(request),
        str(user_id),
        str(get_language()),
        str(getattr(request, "accepted_media_type", "")),
    )
    # Asked twice per request (read ahead, then looked up): remembered for the last one asked.
    django_request = request._request
    known = django_request.__dict__.get(_KEPT_KEY_ATTRIBUTE)
    if isinstance(known, tuple) and known[0] == named:
        return str(known[1])
    digest = hashlib.blake2b(
        b"\x1f".join((_FORMAT, *(part.encode() for part in named[1:]))), digest_size=16
    ).hexdigest()
    key = cache.key("response", digest)
    setattr(django_request, _KEPT_KEY_ATTRIBUTE, (named, key))
    return key


@dataclass(frozen=True)
class _KeptResponse:
    """A 200 as a view made it (before its ETag headers), with the ETag it was made under and
    the fresh values it was made from."""

    etag: str
    served: tuple[Served, ...]
    headers: tuple[tuple[str, str], ...]
    content: bytes

    @classmethod
    def of(cls, raw: object) -> _KeptResponse | None:
        if not (isinstance(raw, tuple) and len(raw) == 5 and raw[0] == _KEPT_FORMAT):
            return None
        return cls(*raw[1:])

    def stored(self) -> tuple[Any, ...]:
        return (_KEPT_FORMAT, self.etag, self.served, self.headers, self.content)

    def fresh(self, cache: TaggedCache) -> bool:
        """Every value is still one the view would be served (not refreshed early either)."""
        return all(
            cache.strategy.judge(
                fresh_until=value.fresh_until, compute_seconds=value.compute_seconds
            )
            is Freshness.FRESH
            for value in self.served
        )

    def response(self) -> HttpResponse:
        response = HttpResponse(self.content)
        for name, value in self.headers:
            response.headers[name] = value
        return response


def _keep(
    request: Request, cache: TaggedCache, etag: str, response: HttpResponseBase, reads: ServedReads
) -> None:
    """Keeps a 200 made only from fresh values of `cache` (plain content, no cookies)."""
    if type(response) is not HttpResponse or response.cookies:
        return
    if not (reads.complete and reads.values):
        return
    if any(value.namespace != cache.namespace for value in reads.values):
        return
    kept = _KeptResponse(
        etag, tuple(reads.values), tuple(response.headers.items()), response.content
    )
    cache.store(kept_response_key(request, cache), kept.stored(), cache.strategy.ttl)


def read_plan(request: Request) -> ReadPlan | None:
    """The read plan of the view method this DRF request is routed to, if it declared one."""
    view = (getattr(request, "parser_context", None) or {}).get("view")
    method = (request.method or "").lower()
    handler = getattr(view, method, None) if view is not None else None
    plan = getattr(handler, "__read_plan__", None)
    return plan if isinstance(plan, ReadPlan) else None


def etag_cached(
    *,
    tags: TagSource = (),
    cache: TaggedCache | None = None,
    version: Callable[[Request], object] | None = None,
    read_ahead: Callable[[Request, Any], Iterable[str]] | None = None,
    keep_responses: bool = False,
) -> Callable[[View], View]:
    """Decorates the `get` of a DRF view: a 200 carries `ETag`, and a request whose
    `If-None-Match` names the current one is answered 304 without running the view.

    `tags`: the cache tags whose invalidation changes the body (or a function of the request
    giving them); `cache`: the TaggedCache the view reads through, so that clearing its
    namespace changes the ETag too; `version`: a cheap function of the request for anything
    the body depends on that no tag covers (its `str` goes into the ETag). Sets
    `__etag__ = True` on the method, which the schema generator documents.

    `read_ahead(request, user)`: the keys of `cache` the view reads, for a view whose body needs
    only the user's id (see the module's docstring); it returns `[]` for a request it cannot
    name keys for (a bad query, which the view then refuses). Such a view must not write, and
    neither it nor its permissions may need the user's row (a field read from it costs a query).

    `keep_responses` (with `read_ahead`): the body is made only from what the ETag names and
    the view's reads through `cache`. A 200 made from fresh values only is then kept in `cache`
    with its ETag, and a `ReadAheadMixin` view answers the next such GET with it, without
    running the view, while the ETag is the same and those values are still fresh.
    """
    if keep_responses and read_ahead is None:
        raise ValueError("keep_responses needs read_ahead: the kept response is read ahead")
    namespace = cache or default_cache

    def decorate(method: View) -> View:
        @functools.wraps(method)
        def conditional_get(view: Any, request: Request, *args: Any, **kwargs: Any) -> Any:
            ahead = getattr(request._request, READ_AHEAD_ATTRIBUTE, None)
            if not isinstance(ahead, ReadAhead):
                return respond(view, request, *args, **kwargs)
            with serving_read_ahead(ahead):
                return respond(view, request, *args, **kwargs)

        def respond(view: Any, request: Request, *args: Any, **kwargs: Any) -> Any:
            names = tags(request) if callable(tags) else tags
            etag = current_etag(request, namespace, names, version)
            if etag is None:
                return method(view, request, *args, **kwargs)
            wanted = parse_etags(request.META.get("HTTP_IF_NONE_MATCH", ""))
            if _names(wanted, etag):
                return _mark(HttpResponseNotModified(), etag, request)
            with recording_served() as reads:
                response = method(view, request, *args, **kwargs)
            if response.status_code != 200:
                return response
            if keep_responses:
                _keep(request, namespace, etag, response, reads)
            if wanted == ["*"]:
                # Any current representation matches `*`; there is one, the view just made it.
                return _mark(HttpResponseNotModified(), etag, request)
            return _mark(response, etag, request)

        conditional_get.__etag__ = True  # type: ignore[attr-defined]
        if read_ahead is not None:
            plan = ReadPlan(namespace, tags, read_ahead, version, keep_responses)
            conditional_get.__read_plan__ = plan  # type: ignore[attr-defined]
        return cast(View, conditional_get)

    return decorate


def current_etag(
    request: Request,
    cache: TaggedCache,
    tags: Iterable[str],
    version: Callable[[Request], object] | None = None,
) -> str | None:
    """The strong ETag of what this GET would answer now; None when the cache cannot say."""
    tokens = cache.versions(tags)
    if tokens is None:
        return None
    extra = () if version is None else (str(version(request)).encode(),)
    return _etag(_etag_basis(request), cache, tokens, extra)


def _etag_basis(request: Request) -> tuple[bytes, ...]:
    """What an ETag names of the request itself (the same for every request of its shape)."""
    return (
        _FORMAT,
        absolute_uri(request).encode(),
        str(getattr(request.user, "pk", None)).encode(),
        str(get_language()).encode(),
        str(getattr(request, "accepted_media_type", "")).encode(),
        str(getattr(settings, "SENTRY_RELEASE", "")).encode(),
    )


def _etag(
    basis: tuple[bytes, ...], cache: TaggedCache, tokens: dict[str, int], extra: tuple[bytes, ...]
) -> str:
    parts = [
        *basis,
        str(int(cache.strategy.clock() // cache.strategy.ttl)).encode(),
        *(f"{key}={token}".encode() for key, token in sorted(tokens.items())),
        *extra,
    ]
    digest = hashlib.blake2b(b"\x1f".join(parts), digest_size=16).hexdigest()
    return f'"{digest}"'


def absolute_uri(request: Request) -> str:
    """`request.build_absolute_uri()`, built once per request (the ETag, the kept response's
    key and the page's links all name it)."""
    django_request = request._request
    uri = django_request.__dict__.get(_ABSOLUTE_URI_ATTRIBUTE)
    if not isinstance(uri, str):
        uri = request.build_absolute_uri()
        setattr(django_request, _ABSOLUTE_URI_ATTRIBUTE, uri)
    return uri


def _names(wanted: list[str], etag: str) -> bool:
    """Weak comparison, as RFC 9110 asks of If-None-Match: `W/"x"` matches `"x"` (a proxy that
    compresses may have weakened the ETag it passed on)."""
    return any(candidate.removeprefix("W/") == etag for candidate in wanted)


def _mark(response: HttpResponseBase, etag: str, request: Request) -> HttpResponseBase:
    return _marked(response, etag, private=_private(request))


def _private(request: Request) -> bool:
    return bool(getattr(request.user, "is_authenticated", False))


def _marked(response: HttpResponseBase, etag: str, *, private: bool) -> HttpResponseBase:
    response["ETag"] = etag
    # Caches must ask again each time (the ETag makes that cheap); shared caches must not
    # keep one user's answer at all.
    if "Vary" in response.headers or "Cache-Control" in response.headers:
        _patch_marks(response, private=private)
    else:
        # What the patches write on a response that has neither header, computed once.
        response.headers["Vary"], response.headers["Cache-Control"] = _BLANK_MARKS[private]
    return response


def _patch_marks(response: HttpResponseBase, *, private: bool) -> None:
    patch_vary_headers(response, VARY)
    if private:
        patch_cache_control(response, private=True, no_cache=True)
    else:
        patch_cache_control(response, no_cache=True)


def _blank_marks(*, private: bool) -> tuple[str, str]:
    blank = HttpResponseBase()
    _patch_marks(blank, private=private)
    return blank.headers["Vary"], blank.headers["Cache-Control"]


_BLANK_MARKS: Final = {private: _blank_marks(private=private) for private in (False, True)}


@dataclass(frozen=True)
class Claims:
    """What an authenticator can tell from the request alone (the token's verified claims):
    the user and token DRF would be given, and the cache records (`gates`) whose presence
    means the claims cannot stand alone (the usual authentication must judge the request)."""

    user: Any
    auth: Any
    gates: tuple[str, ...]


class ReadAheadMixin(_ViewBase):
    """Mixed into an APIView (before it): its read-ahead GETs (`etag_cached(read_ahead=...)`)
    are authenticated, permitted and throttled with ONE cache command, which also reads what
    the view will serve; with `keep_responses`, a current response is answered without DRF's
    handler at all.

    DRF's `initial` in DRF's order: content negotiation and versioning as DRF does them; the
    user from the token's claims (the authenticator's `claims`); the view's permissions with
    that user; then `count_and_read` counts the view's throttles unless one of the claims'
    records is present, and reads those records and the plan's keys. The throttles take their
    counts (a refusal raises DRF's `Throttled`, with DRF's wait) and the view is served from
    what was read. `dispatch` does the same first and answers from what was read when it can
    (`ReadPlan.kept_response`: a 304, or the kept 200), through DRF's `finalize_response`;
    otherwise DRF's dispatch runs and its `initial` takes what was already counted and read.

    Anything else takes DRF's own path, before anything was counted: another authenticator
    (a test's forced authentication) or no credentials, a token DRF refuses, a record present
    (a sign-in ended, credentials changed lately), a permission refused, a throttle that
    cannot count this way, a cache that cannot be read, or a cache other than the default one.
    So the answers are DRF's, and a request is counted once.
    """

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method in ("GET", "HEAD"):
            shape = _shape(self, request, args, kwargs)
            known = _known_reads.get(shape)
            answer = (
                None if known is None else self._answer_known(shape, known, request, args, kwargs)
            )
            if isinstance(answer, HttpResponseBase):
                return answer
            if answer is None:
                answer = self._answer_from_read(request, *args, shape=shape, **kwargs)
                if answer is not None:
                    return answer
            else:
                self._read_done = answer  # counted: DRF's dispatch takes it
        return super().dispatch(request, *args, **kwargs)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # DRF's `initial`, but the authentication, permissions and throttles of a read plan.
        plan = read_plan(request)
        if plan is None:
            super().initial(request, *args, **kwargs)
            return
        self._negotiate(request, *args, **kwargs)
        done = self.__dict__.pop("_read_done", None)
        one = done if isinstance(done, _OneRead) else self._one_read(request, plan, plan.cache_keys)
        if one is None:
            self.perform_authentication(request)
            self.check_permissions(request)
            self.check_throttles(request)
            return
        self._take(request, one)

    def _answer_known(
        self,
        shape: tuple[Any, ...],
        known: _KnownRead,
        request: HttpRequest,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> HttpResponseBase | _OneRead | None:
        """The answer to a request of a known shape from one cache command; else the read as
        counted (DRF's dispatch takes it), or None when nothing was counted."""
        now = time.time()
        backend = caches[settings.CACHE_ALIAS]
        if now >= known.expires_at or backend is not caches[DEFAULT_CACHE_ALIAS]:
            _known_reads.pop(shape, None)
            return None  # an expired token gets simplejwt's own answer
        windows = [counter.window(now) for counter in known.counters]
        reads = (known.kept_key, *known.version_keys)
        answer = _read_guard.call(
            "get", lambda: count_and_read(windows, gates=known.gates, reads=reads), None
        )
        if answer is None or not answer.counted:
            return None
        found = answer.found
        user = _fresh(known.user)
        waits = [
            wait_after(count, window.limit, window.elapsed, window.lifetime // 2)
            for window, count in zip(windows, answer.counts, strict=True)
            if not count.allowed
        ]
        tokens = {name: found.get(name) for name in known.version_keys}
        response = None
        if not waits and None not in tokens.values():
            etag = _etag(known.etag_basis, known.plan.cache, cast(dict[str, int], tokens), ())
            kept = found.get(known.kept_key)
            response = known.plan.answer(request.META, etag, kept, private=True)
        if response is None:
            authenticator = self.get_authenticators()[0]
            claims = Claims(user, known.auth, known.gates)
            return _OneRead(authenticator, claims, ReadAhead(backend, reads, found), waits, [])
        # As DRF's authentication leaves the request for the middleware on the way out.
        request.user, request.auth = user, known.auth  # type: ignore[attr-defined]
        self.args, self.kwargs = args, kwargs
        self.headers = self.default_response_headers
        self.response = self.finalize_response(request, response)  # type: ignore[arg-type]
        return self.response

    def _answer_from_read(
        self, request: HttpRequest, *args: Any, shape: tuple[Any, ...], **kwargs: Any
    ) -> HttpResponseBase | None:
        # DRF's dispatch up to `initial`.
        self.args, self.kwargs = args, kwargs
        drf_request = self.initialize_request(request, *args, **kwargs)
        self.request = drf_request
        self.headers = self.default_response_headers
        plan = read_plan(drf_request)
        if plan is None:
            return None
        try:
            self._negotiate(drf_request, *args, **kwargs)
        except (APIException, Http404):
            return None  # DRF's dispatch refuses it the same way
        one = self._one_read(drf_request, plan, plan.answer_keys)
        if one is None:
            return None
        # From here the request is counted: DRF's dispatch, if it runs, takes this read.
        self._read_done = one
        if one.waits:
            return None
        self._take(drf_request, one)
        response = plan.kept_response(drf_request, one.ahead)
        if response is None:
            return None
        del self._read_done
        _remember(shape, plan, drf_request, one, self)
        # DRF's stubs say Response; DRF's code takes any HttpResponseBase (as dispatch gives it).
        self.response = self.finalize_response(drf_request, response, *args, **kwargs)  # type: ignore[arg-type]
        return self.response

    def _negotiate(self, request: Request, *args: Any, **kwargs: Any) -> None:
        """DRF's format suffix, content negotiation and versioning, as `initial` does them."""
        self.format_kwarg = self.get_format_suffix(**kwargs)
        request.accepted_renderer, request.accepted_media_type = self._negotiated(request)
        request.version, request.versioning_scheme = self.determine_version(
            request, *args, **kwargs
        )

    def _negotiated(self, request: Request) -> tuple[BaseRenderer, str]:
        """DRF's content negotiation (a refusal raises as there), remembered: with DRF's
        negotiator the answer depends only on the renderers, the Accept header and the format
        asked for, and clients send few distinct ones."""
        renderers = self.get_renderers()
        negotiator = self.get_content_negotiator()
        if type(negotiator) is not DefaultContentNegotiation:
            return self.perform_content_negotiation(request)
        override = negotiator.settings.URL_FORMAT_OVERRIDE
        asked = (
            tuple(type(renderer) for renderer in renderers),
            request.META.get("HTTP_ACCEPT"),
            self.format_kwarg,
            request.query_params.get(override) if override else None,
        )
        known = _negotiations.get(asked)
        if known is None:
            renderer, media_type = negotiator.select_renderer(request, renderers, self.format_kwarg)
            index = next(i for i, candidate in enumerate(renderers) if candidate is renderer)
            if len(_negotiations) >= _NEGOTIATIONS_MAX:
                _negotiations.clear()
            known = _negotiations[asked] = (index, media_type)
        index, media_type = known
        return renderers[index], media_type

    def _one_read(
        self, request: Request, plan: ReadPlan, keys: Callable[[Request, Any], list[str]]
    ) -> _OneRead | None:
        """Authentication, permissions and throttles in one command; None (nothing counted,
        the request as it was) when DRF's path must judge the request."""
        claims = _claims(request)
        backend = caches[settings.CACHE_ALIAS]
        if claims is None or backend is not caches[DEFAULT_CACHE_ALIAS]:
            return None
        django_request = request._request
        before = {name: django_request.__dict__.get(name, _MISSING) for name in ("user", "auth")}
        request.user, request.auth = claims.user, claims.auth
        one = self._count_and_read(request, keys, claims, backend)
        if one is None:
            for name in ("_user", "_auth"):
                request.__dict__.pop(name, None)
            for name, value in before.items():
                if value is _MISSING:
                    django_request.__dict__.pop(name, None)
                else:
                    setattr(django_request, name, value)
        return one

    def _count_and_read(
        self,
        request: Request,
        keys: Callable[[Request, Any], list[str]],
        claims: Claims,
        backend: Any,
    ) -> _OneRead | None:
        try:
            permitted = all(p.has_permission(request, self) for p in self.get_permissions())
        except APIException:
            return None
        if not permitted:
            return None
        throttles: list[Any] = []
        windows: list[Window] = []
        for throttle in self.get_throttles():
            window_of = getattr(throttle, "window", None)
            if window_of is None:
                return None
            window = window_of(request, self)
            if window is not None:
                throttles.append(throttle)
                windows.append(window)
        reads = keys(request, claims.user)
        answer = _read_guard.call(
            "get", lambda: count_and_read(windows, gates=claims.gates, reads=reads), None
        )
        if answer is None or not answer.counted:
            return None
        waits = [
            throttle.wait()
            for throttle, count in zip(throttles, answer.counts, strict=True)
            if not throttle.counted(count)
        ]
        authenticator = (request.authenticators or ())[0]  # the one `_claims` asked
        ahead = ReadAhead(backend, reads, answer.found)
        return _OneRead(authenticator, claims, ahead, waits, windows)

    def _take(self, request: Request, one: _OneRead) -> None:
        """The request as DRF's authentication and throttles would leave it."""
        request._authenticator = one.authenticator  # type: ignore[attr-defined]
        request.user, request.auth = one.claims.user, one.claims.auth
        setattr(request._request, READ_AHEAD_ATTRIBUTE, one.ahead)
        if one.waits:
            # As DRF's check_throttles: the longest wait of the throttles that refused.
            durations = [wait for wait in one.waits if wait is not None]
            self.throttled(request, max(durations, default=None))  # type: ignore[arg-type]


class _OneRead(NamedTuple):
    authenticator: Any
    claims: Claims
    ahead: ReadAhead
    waits: list[float | None]  # of the throttles that refused (none: allowed)
    windows: list[Window]  # what the throttles counted


# Known reads. A kept answer's derivation (the token's verification, the permissions, the
# throttles' keys, the cache keys, the negotiation and the ETag's request parts) is the same
# for every request of one shape: the view, the URL, the headers it is made from, the client's
# address and the language. The first kept answer of a shape remembers it, and the next request
# of that shape goes straight to the one cache command, which still reads the records that end
# a sign-in and the tag versions and counts the throttles. Only where the derivation depends on
# nothing else: no `version` function, and permissions that look at the user alone.
_KNOWN_READS_MAX: Final = 4096
_known_reads: dict[tuple[Any, ...], _KnownRead] = {}
_PURE_PERMISSIONS: Final = (AllowAny, IsAuthenticated)


@dataclass(frozen=True)
class _KnownRead:
    plan: ReadPlan
    user: Any  # as the claims give it (copied for each request)
    auth: Any
    expires_at: float  # the token's `exp`
    gates: tuple[str, ...]
    counters: tuple[Counter, ...]
    kept_key: str
    version_keys: tuple[str, ...]
    etag_basis: tuple[bytes, ...]


def _shape(view: Any, request: HttpRequest, args: Any, kwargs: dict[str, Any]) -> tuple[Any, ...]:
    """Everything a kept answer's derivation reads of the request (see `_known_reads`)."""
    meta = request.META
    return (
        type(view),
        request.method,
        request.scheme,
        meta.get("HTTP_HOST"),
        meta.get("HTTP_X_FORWARDED_HOST"),
        meta.get("HTTP_X_FORWARDED_PORT"),
        meta.get("SERVER_NAME"),
        meta.get("SERVER_PORT"),
        meta.get("SCRIPT_NAME"),
        request.path_info,
        meta.get("QUERY_STRING"),
        meta.get("HTTP_ACCEPT"),
        meta.get("HTTP_AUTHORIZATION"),
        meta.get("REMOTE_ADDR"),
        meta.get("HTTP_X_FORWARDED_FOR"),
        get_language(),
        args,
        tuple(sorted(kwargs.items())),
    )


def _remember(
    shape: tuple[Any, ...], plan: ReadPlan, request: Request, one: _OneRead, view: Any
) -> None:
    expires_at = one.claims.auth.get("exp") if hasattr(one.claims.auth, "get") else None
    if (
        plan.version is not None
        or not plan.keep_responses
        or not isinstance(expires_at, int | float)
        or any(window.counter is None for window in one.windows)
        or any(type(permission) not in _PURE_PERMISSIONS for permission in view.get_permissions())
    ):
        return
    kept_key, *version_keys = plan.answer_keys(request, one.claims.user)
    if len(_known_reads) >= _KNOWN_READS_MAX:
        _known_reads.clear()
    _known_reads[shape] = _KnownRead(
        plan=plan,
        user=one.claims.user,
        auth=one.claims.auth,
        expires_at=float(expires_at),
        gates=one.claims.gates,
        counters=tuple(cast(Counter, window.counter) for window in one.windows),
        kept_key=kept_key,
        version_keys=tuple(version_keys),
        etag_basis=_etag_basis(request),
    )


def _fresh(user: Any) -> Any:
    """A new instance of a user as the claims give it (only its primary key loaded)."""
    if not isinstance(user, Model):
        return user
    return type(user).from_db(user._state.db, [user._meta.pk.attname], [user.pk])


@receiver(setting_changed)
def _forget_known_reads(**kwargs: Any) -> None:
    # Throttle rates, authentication and the signing key are settings.
    _known_reads.clear()


def _claims(request: Request) -> Claims | None:
    """The request's claims from its only authenticator, if it can give them."""
    authenticators = request.authenticators or ()
    if len(authenticators) != 1:
        return None
    claims_of = getattr(authenticators[0], "claims", None)
    if claims_of is None:
        return None
    try:
        claims = claims_of(request)
    except APIException:
        return None  # DRF's path refuses the token with the same error
    return claims if isinstance(claims, Claims) else None
