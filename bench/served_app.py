"""The project's applications as the HTTP servers of bench/servers_bench.py load them.

`wsgi` (studymate_api.wsgi) and `asgi` (studymate_api.asgi, HTTP and WebSockets), both with the
bench's production settings (bench/study_bench.py's BENCH_ENV), the database named by
BENCH_DATABASE, and study_bench's extra route `/bench/bare/` (a plain JsonResponse behind the
same middleware): the framework's limit.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import study_bench  # sets the production-like environment first

_URLCONF = "bench_urls"


def _configure() -> None:
    """Before Django is set up: the bench database and a URLconf with the bare view."""
    from django.conf import settings

    study_bench.point_django_at(os.environ["BENCH_DATABASE"])
    settings.ROOT_URLCONF = _URLCONF


def _install_urlconf() -> None:
    module = type(sys)(_URLCONF)
    module.urlpatterns = study_bench._urlpatterns()  # type: ignore[attr-defined]
    sys.modules[_URLCONF] = module


def _load(kind: str) -> Any:
    _configure()
    if kind == "wsgi":
        from studymate_api.wsgi import application
    else:
        from studymate_api.asgi import application
    _install_urlconf()
    return application


_KIND = os.environ.get("BENCH_INTERFACE", "asgi")
if _KIND == "wsgi":
    wsgi = _load("wsgi")
else:
    asgi = _load("asgi")
