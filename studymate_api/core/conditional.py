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
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, cast

from django.conf import settings
from django.http import HttpResponseBase, HttpResponseNotModified
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import parse_etags
from django.utils.translation import get_language
from rest_framework.request import Request

from studymate_api.cache import TaggedCache

# Bumped when what goes into an ETag changes, so old ETags stop matching.
_FORMAT = b"1"

# The namespace whose generation the ETags of views without a cache of their own follow
# (`manage.py cache_management` can clear it like any other).
default_cache = TaggedCache("http_etag")

TagSource = Iterable[str] | Callable[[Request], Iterable[str]]
View = TypeVar("View", bound=Callable[..., HttpResponseBase])

# The request headers the representation depends on besides the URL.
VARY = ("Authorization", "Accept-Language")


def etag_cached(
    *,
    tags: TagSource = (),
    cache: TaggedCache | None = None,
    version: Callable[[Request], object] | None = None,
) -> Callable[[View], View]:
    """Decorates the `get` of a DRF view: a 200 carries `ETag`, and a request whose
    `If-None-Match` names the current one is answered 304 without running the view.

    `tags`: the cache tags whose invalidation changes the body (or a function of the request
    giving them); `cache`: the TaggedCache the view reads through, so that clearing its
    namespace changes the ETag too; `version`: a cheap function of the request for anything
    the body depends on that no tag covers (its `str` goes into the ETag). Sets
    `__etag__ = True` on the method, which the schema generator documents.
    """
    namespace = cache or default_cache

    def decorate(method: View) -> View:
        @functools.wraps(method)
        def conditional_get(view: Any, request: Request, *args: Any, **kwargs: Any) -> Any:
            names = tags(request) if callable(tags) else tags
            etag = current_etag(request, namespace, names, version)
            if etag is None:
                return method(view, request, *args, **kwargs)
            wanted = parse_etags(request.META.get("HTTP_IF_NONE_MATCH", ""))
            if _names(wanted, etag):
                return _mark(HttpResponseNotModified(), etag, request)
            response = method(view, request, *args, **kwargs)
            if response.status_code != 200:
                return response
            if wanted == ["*"]:
                # Any current representation matches `*`; there is one, the view just made it.
                return _mark(HttpResponseNotModified(), etag, request)
            return _mark(response, etag, request)

        conditional_get.__etag__ = True  # type: ignore[attr-defined]
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
    user_id = getattr(request.user, "pk", None)
    parts = [
        _FORMAT,
        request.build_absolute_uri().encode(),
        str(user_id).encode(),
        str(get_language()).encode(),
        str(getattr(request, "accepted_media_type", "")).encode(),
        str(getattr(settings, "SENTRY_RELEASE", "")).encode(),
        str(int(cache.strategy.clock() // cache.strategy.ttl)).encode(),
        *(f"{key}={token}".encode() for key, token in sorted(tokens.items())),
    ]
    if version is not None:
        parts.append(str(version(request)).encode())
    digest = hashlib.blake2b(b"\x1f".join(parts), digest_size=16).hexdigest()
    return f'"{digest}"'


def _names(wanted: list[str], etag: str) -> bool:
    """Weak comparison, as RFC 9110 asks of If-None-Match: `W/"x"` matches `"x"` (a proxy that
    compresses may have weakened the ETag it passed on)."""
    return any(candidate.removeprefix("W/") == etag for candidate in wanted)


def _mark(response: HttpResponseBase, etag: str, request: Request) -> HttpResponseBase:
    response["ETag"] = etag
    patch_vary_headers(response, VARY)
    # Caches must ask again each time (the ETag makes that cheap); shared caches must not
    # keep one user's answer at all.
    if getattr(request.user, "is_authenticated", False):
        patch_cache_control(response, private=True, no_cache=True)
    else:
        patch_cache_control(response, no_cache=True)
    return response
