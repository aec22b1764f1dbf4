"""Views for the observability tests (never part of the project's URLs)."""

from __future__ import annotations

import structlog
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path


class ProbeFailure(Exception):
    pass


def boom(request: HttpRequest) -> HttpResponse:
    raise ProbeFailure("observability probe failure")


urlpatterns = [path("boom/", boom)]


def logged(request: HttpRequest) -> HttpResponse:
    """Logs one line and answers with what structlog's context held while it ran."""
    structlog.get_logger("tests.observability").info("probe_logged")
    return JsonResponse(structlog.contextvars.get_contextvars())


urlpatterns += [path("logged/", logged)]
