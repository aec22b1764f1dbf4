"""Django's WSGI and ASGI handlers, with each path's URL resolution remembered.

Resolving walks the URL patterns level by level (`/api/study/subjects/` passes four `include`s
and tries every pattern before the match at each): about 40 µs of a cached page's 500. The
result depends only on the URLconf, the path and, with `i18n_patterns`, the active language,
so the handlers remember it per (resolver, language, path) for the most recent paths and give
each request its own copy (a view may change its kwargs). A request with its own `urlconf` and
a path that resolves to nothing (404) are resolved as Django does every time.
"""

from __future__ import annotations

import functools
from typing import Any

import django
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.base import BaseHandler
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest
from django.urls import ResolverMatch, URLResolver, get_resolver
from django.utils.translation import get_language

# Paths with ids in them are many; the most recent ones are what a busy process serves again.
_REMEMBERED_PATHS = 4096


class _RememberedResolution(BaseHandler):
    def resolve_request(self, request: HttpRequest) -> ResolverMatch:
        if hasattr(request, "urlconf"):
            return super().resolve_request(request)
        remembered = _resolved(get_resolver(), get_language(), request.path_info)
        # A shallow copy (ResolverMatch refuses copy.copy, which goes through pickling).
        match = ResolverMatch.__new__(ResolverMatch)
        match.__dict__.update(remembered.__dict__)
        match.kwargs = dict(remembered.kwargs)
        request.resolver_match = match
        return match


@functools.lru_cache(maxsize=_REMEMBERED_PATHS)
def _resolved(resolver: URLResolver, language: str | None, path: str) -> ResolverMatch:
    return resolver.resolve(path)


class StudyMateWSGIHandler(_RememberedResolution, WSGIHandler):
    pass


class StudyMateASGIHandler(_RememberedResolution, ASGIHandler):
    pass


def wsgi_application() -> Any:
    """`django.core.wsgi.get_wsgi_application()` with the remembered resolution."""
    django.setup(set_prefix=False)
    return StudyMateWSGIHandler()


def asgi_application() -> Any:
    """`django.core.asgi.get_asgi_application()` with the remembered resolution."""
    django.setup(set_prefix=False)
    return StudyMateASGIHandler()
